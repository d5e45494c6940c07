// The generated code's own exp, erf and tanh (src/cpu-math.ts) held to their stated accuracy on
// dense grids (the op suite's random inputs and loose tolerances would miss a few-ulp drift),
// and the row kernel's reuse of reduced values (softmax computes each exp once).

import { describe, expect, it } from "vitest";
import { Graph, Tensor, TensorType, compile, ops } from "@max-whisper/graph";
import { lowerToCpp } from "./index.js";

async function apply(op: "exp" | "erf" | "tanh", xs: Float32Array): Promise<Float32Array> {
  const g = new Graph(op, [new TensorType("f32", [xs.length])]);
  g.output(ops[op](g.inputs[0]!));
  const exe = await compile(g, { device: "cpu" });
  const [y] = await exe.execute(new Tensor("f32", [xs.length], xs));
  exe.dispose();
  return y!.data as Float32Array;
}

function grid(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** erf to double precision (Abramowitz & Stegun 7.1.26 is too coarse here): series or continued fraction. */
function erf64(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a, sum = a;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  // erfc by Lentz's continued fraction, accurate for a >= 2.5.
  let f = a, c = a, d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = a + an * d;
    d = 1 / d;
    c = a + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - Math.exp(-a * a) / (f * Math.sqrt(Math.PI)));
}

const ULP1 = 2 ** -23; // f32 relative spacing at 1

describe("cpu math", () => {
  it("exp is within 2 ulp for normal results and one step through the subnormals, inf and 0 at the ends", async () => {
    const xs = grid(-110, 95, 200_001);
    xs.set([Number.NaN, Infinity, -Infinity, 0], 0);
    const y = await apply("exp", xs);
    expect(Number.isNaN(y[0])).toBe(true);
    expect([y[1], y[2], y[3]]).toEqual([Infinity, 0, 1]);
    let worst = 0;
    for (let i = 4; i < xs.length; i++) {
      const want = Math.exp(xs[i]!);
      const got = y[i]!;
      if (want > 3.4028234663852886e38) expect(got, `exp(${xs[i]})`).toBe(Infinity);
      else if (want < 1.1754943508222875e-38) expect(Math.abs(got - want), `exp(${xs[i]})`).toBeLessThanOrEqual(1.5e-45);
      else worst = Math.max(worst, Math.abs(got - want) / want);
    }
    expect(worst).toBeLessThan(2 * ULP1);
  });

  it("erf is within 3e-7 everywhere and saturates to exactly ±1", async () => {
    const xs = grid(-8, 8, 160_001);
    xs.set([Number.NaN, 1e-30, -1e-30], 0);
    const y = await apply("erf", xs);
    expect(Number.isNaN(y[0])).toBe(true);
    expect(Math.abs(y[1]! / (1e-30 * 2 / Math.sqrt(Math.PI)) - 1)).toBeLessThan(3e-7);
    expect(y[2]).toBe(-y[1]!);
    let worst = 0;
    for (let i = 3; i < xs.length; i++) worst = Math.max(worst, Math.abs(y[i]! - erf64(xs[i]!)));
    expect(worst).toBeLessThan(3e-7);
    expect([y[3], y[y.length - 1]]).toEqual([-1, 1]);
  });

  it("tanh is within 4 ulp of the saturated value's scale", async () => {
    const xs = grid(-12, 12, 120_001);
    const y = await apply("tanh", xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = Math.tanh(xs[i]!);
      worst = Math.max(worst, Math.abs(y[i]! - want) / Math.max(Math.abs(want), 1e-30));
    }
    expect(worst).toBeLessThan(4 * ULP1);
  });

  it("softmax evaluates exp once per element: the sum's terms are kept for the stores", () => {
    const g = new Graph("sm", [new TensorType("f32", [7, 1500])]);
    g.output(ops.softmax(g.inputs[0]!, -1));
    const { source } = lowerToCpp(g);
    const body = source.slice(source.indexOf("k0_softmax_task"));
    expect(body).toMatch(/alignas\(64\) float rc_r\d+\[1500\];/);
    // The sum pass comes in two forms (prefetching rows ahead for large inputs, plain
    // otherwise), each computing exp once; the store passes after it only read the kept terms.
    const stores = body.indexOf("float st_row[1500]");
    expect(stores).toBeGreaterThan(0);
    // The sum pass is one call of the interleaved helper, which writes the kept terms.
    expect(body.slice(0, stores)).not.toContain("mw_expf(");
    expect(body.slice(0, stores).match(/= mw_exp_shift_sum\(&b0\[o0\], r0, rc_r1, 1500, mw_big && pf_ok \? &b0\[pf_o0\] : nullptr\);/g)?.length).toBe(1);
    expect(body.slice(stores)).not.toContain("mw_expf(");
    expect(body.slice(stores).match(/rc_r\d+\[j\]/g)?.length).toBe(2);
  });

  it("softmax's interleaved exp gives the exp op's values bit for bit, through the subnormals", async () => {
    // Each row holds one 0 (the max) and 1499 values in [-110, -25], whose exps sum to less than
    // half an ulp of 1: the row's sum is exactly 1, so softmax's result is its exp term itself.
    const rows = 97, width = 1500;
    const xs = new Float32Array(rows * width);
    const grid = rows * (width - 1);
    let q = 0;
    for (let r = 0; r < rows; r++) {
      xs[r * width + (r % width)] = 0;
      for (let j = 0; j < width; j++) if (j !== r % width) xs[r * width + j] = -110 + (85 * q++) / (grid - 1);
    }
    const g = new Graph("sm", [new TensorType("f32", [rows, width])]);
    g.output(ops.softmax(g.inputs[0]!, -1));
    const exe = await compile(g, { device: "cpu" });
    const [y] = await exe.execute(new Tensor("f32", [rows, width], xs));
    exe.dispose();
    const want = await apply("exp", xs);
    const got = y!.data as Float32Array;
    let diff = 0, subnormal = 0;
    for (let i = 0; i < xs.length; i++) {
      if (!Object.is(got[i], want[i])) diff++;
      if (want[i]! > 0 && want[i]! < 1.1754943508222875e-38) subnormal++;
    }
    expect(subnormal).toBeGreaterThan(10_000);
    expect(diff).toBe(0);
  });
});
