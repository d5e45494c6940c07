// Property test: random graphs mixing elementwise ops, views, reductions and matmuls (with
// values used several times) compile on the cpu backend and match the reference. This shakes
// the fusion pass's lazy values, multi-use stores and view arithmetic.

import { describe, it } from "vitest";
import { type Dim, Graph, TensorType, type Value, ops } from "@max-whisper/graph";
import { checkAgainstReference, randTensor, rng } from "./test-util.js";

const SEEDS = [11, 23, 37, 41, 53, 67];

/** NumPy broadcast of two shapes, or undefined when they do not broadcast. */
function broadcastShapesOf(a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1 || String(x) === String(y)) out.push(x);
    else return undefined;
  }
  return out;
}

function randomGraph(seed: number): Graph {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const g = new Graph(`random${seed}`, [new TensorType("f32", [4, "n"]), new TensorType("f32", ["n"]), new TensorType("f32", ["n", 4]), new TensorType("f32", [2, 4, "n"])]);
  const pool: Value[] = [...g.inputs];
  g.build(() => {
    for (let step = 0; step < 28; step++) {
      const x = pick(pool);
      const kind = r();
      let y: Value | undefined;
      if (kind < 0.25) {
        y = pick([(v: Value) => ops.tanh(v), (v: Value) => ops.neg(v), (v: Value) => ops.sigmoid(v), (v: Value) => ops.exp(ops.tanh(v)), (v: Value) => ops.relu(v), (v: Value) => ops.gelu(v)])(x);
      } else if (kind < 0.5) {
        const partners = pool.filter((p) => broadcastShapesOf(p.shape, x.shape) !== undefined);
        const p = pick(partners);
        y = pick([ops.add, ops.mul, ops.sub, ops.maximum])(x, p);
      } else if (kind < 0.65) {
        const rank = x.rank;
        if (rank >= 2) {
          const perm = [...Array(rank).keys()].sort(() => r() - 0.5);
          y = ops.permute(x, perm);
        } else y = ops.reshape(x, [1, ...x.shape]);
      } else if (kind < 0.72) {
        y = ops.reshape(x, [-1]);
      } else if (kind < 0.78) {
        const ax = x.rank - 1;
        y = typeof x.shape[ax] === "number" && (x.shape[ax] as number) > 2 ? ops.slice(x, [1], [null], [ax], [2]) : ops.slice(x, [0], [1], [0]);
      } else if (kind < 0.86) {
        y = pick([(v: Value) => ops.softmax(v, Math.floor(r() * v.rank)), (v: Value) => ops.reduce_sum(v, [v.rank - 1], r() < 0.5), (v: Value) => ops.reduce_max(v, [0], true)])(x);
      } else if (kind < 0.92 && x.shape[x.rank - 1] === "n") {
        y = ops.layer_norm(x, g.inputs[1]!, g.inputs[1]!, 1e-5);
      } else {
        const last = x.shape[x.rank - 1]!;
        const rhs = pool.filter((p) => p.rank === 2 && String(p.shape[0]) === String(last));
        if (x.rank >= 1 && rhs.length) y = ops.matmul(x, pick(rhs));
      }
      if (y && y.rank > 0 && y.rank <= 4) pool.push(y);
    }
  });
  // Outputs: the last few values and a few intermediates (so some values are used twice).
  const outs = [...new Set([...pool.slice(-4), pick(pool.slice(4)), pick(pool.slice(4))])];
  g.output(...outs);
  return g;
}

describe("random graphs", () => {
  it.each(SEEDS)("seed %i matches the reference for n = 6 and n = 3", async (seed) => {
    const g = randomGraph(seed);
    const ins = (n: number, s: number) => [
      randTensor("f32", [4, n], s), randTensor("f32", [n], s + 1), randTensor("f32", [n, 4], s + 2), randTensor("f32", [2, 4, n], s + 3),
    ];
    await checkAgainstReference(g, [ins(6, seed), ins(3, seed + 10)], { tol: () => ({ atol: 1e-4, eps: 1e-4 }) });
  });
});
