// Shared by the cpu-backend tests: seeded random tensors, and comparison against the reference
// interpreter with atol + |ref|·eps tolerances that print the first mismatches.

import { type DType, Graph, Tensor, compile, type Executable, seededRandom as rng } from "@max-whisper/graph";
import { expect } from "vitest";
// Registers the cpu backend, so compile(g, { device: "cpu" }) finds it.
import "./index.js";

export { rng };

export type Gen = (r: () => number, i: number) => number;
export const uniform = (lo: number, hi: number): Gen => (r) => lo + (hi - lo) * r();
export const ints = (lo: number, hi: number): Gen => (r) => lo + Math.floor((hi - lo) * r());

export function randTensor(dtype: DType, shape: readonly number[], seed: number, gen: Gen = uniform(-2, 2)): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = dtype === "bool" ? +(r() < 0.5) : gen(r, i);
  return Tensor.fromFloat64(dtype, shape, v);
}

export interface Tol {
  atol: number;
  eps: number;
}

/** Default tolerances per dtype: f32 math (expf, erff, sums in f32) against a float64 oracle. */
export const TOL: Record<DType, Tol> = {
  f32: { atol: 2e-5, eps: 1e-4 },
  f16: { atol: 2e-3, eps: 2 ** -9 },
  bf16: { atol: 1e-2, eps: 2 ** -6 },
  i32: { atol: 0, eps: 0 },
  i64: { atol: 0, eps: 0 },
  bool: { atol: 0, eps: 0 },
};

/** Assert `got` matches `ref` elementwise; the failure lists the first mismatches. */
export function expectClose(got: Tensor, ref: Tensor, tol: Tol = TOL[ref.dtype], what = "output"): void {
  expect(got.dtype, `${what} dtype`).toBe(ref.dtype);
  expect([...got.shape], `${what} shape`).toEqual([...ref.shape]);
  const g = got.toFloat64Array(), r = ref.toFloat64Array();
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < r.length; i++) {
    const a = g[i]!, b = r[i]!;
    const ok = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= tol.atol + Math.abs(b) * tol.eps;
    if (!ok) {
      count++;
      if (bad.length < 6) bad.push(`  [${i}] got ${a}, expected ${b} (diff ${Math.abs(a - b).toExponential(2)})`);
    }
  }
  if (count) expect.fail(`${what}: ${count} of ${r.length} elements differ beyond atol ${tol.atol} + |ref|·${tol.eps}:\n${bad.join("\n")}`);
}

/** Compile for cpu and for the reference, run both on the same inputs, compare every output. */
export async function checkAgainstReference(
  g: Graph, inputs: readonly Tensor[][], opts: { weights?: Map<string, Tensor>; tol?: (i: number, dt: DType) => Tol; threads?: number } = {},
): Promise<Executable> {
  const cpu = await compile(g, { device: "cpu", weights: opts.weights, threads: opts.threads });
  const ref = await compile(g, { device: "reference", weights: opts.weights });
  for (const ins of inputs) {
    const [a, b] = [await cpu.execute(...ins), await ref.execute(...ins)];
    expect(a.length).toBe(b.length);
    a.forEach((t, i) => expectClose(t, b[i]!, opts.tol?.(i, b[i]!.dtype) ?? TOL[b[i]!.dtype], `output ${i} (${labelOf(g, i)})`));
  }
  return cpu;
}

function labelOf(g: Graph, i: number): string {
  const id = g.outputNodeIds[i]!;
  return `%${id} ${g.nodes[id]!.op} ${g.nodes[id]!.type}`;
}
