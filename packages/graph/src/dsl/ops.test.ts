// The DSL layer: the composites (transpose, split, causal_mask, scaled_dot_product_attention)
// match naive computations, and DSL-level errors name the op, the operands and the call site.
// The TSDoc @examples of dsl/ops.ts are run by scripts/doctest.test.ts.

import { describe, expect, it } from "vitest";
import { DTypeError, Graph, ShapeError, Tensor, TensorType, compile, interpret, ops } from "../index.js";
import { rng } from "../passes/random-graph.test-util.js";

const rand = (r: () => number, shape: number[]) => Tensor.fromArray("f32", shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r));

describe("causal_mask", () => {
  it("matches j <= i + (k - q) on static dims", () => {
    for (const [q, k] of [[1, 1], [3, 3], [2, 5], [4, 6], [1, 7]] as const) {
      const g = new Graph("m");
      g.output(ops.causal_mask(q, k, "f32", g));
      const [r] = interpret(g, []);
      expect(r!.shape).toEqual([q, k]);
      for (let i = 0; i < q; i++)
        for (let j = 0; j < k; j++) expect(r!.get(i, j), `${q}x${k} at ${i},${j}`).toBe(j <= i + (k - q) ? 0 : -Infinity);
    }
  });

  it("works on symbolic dims bound at execute time", async () => {
    const g = new Graph("m", [new TensorType("f32", ["seq", 2]), new TensorType("f32", ["past+seq", 2])]);
    const m = ops.causal_mask("seq", "past+seq", "f16", g);
    expect(String(m.type)).toBe("f16[seq, past+seq]");
    // Add to a zero tensor of the scores' shape so the graph's outputs depend on the inputs.
    g.output(m);
    const exe = await compile(g, { device: "reference" });
    const [r] = await exe.execute(Tensor.zeros("f32", [2, 2]), Tensor.zeros("f32", [5, 2]));
    expect(r!.shape).toEqual([2, 5]);
    expect(r!.toArray()).toEqual([0, 0, 0, 0, -Infinity, 0, 0, 0, 0, 0]);
  });
});

describe("scaled_dot_product_attention", () => {
  function naive(q: Tensor, k: Tensor, v: Tensor, scale: number, mask?: (i: number, j: number) => number): number[] {
    const [B, Lq, D] = q.shape as [number, number, number];
    const Lk = k.shape[1]!, Dv = v.shape[2]!;
    const out: number[] = [];
    for (let b = 0; b < B; b++)
      for (let i = 0; i < Lq; i++) {
        const s: number[] = [];
        for (let j = 0; j < Lk; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q.get(b, i, d) * k.get(b, j, d);
          s.push(dot * scale + (mask ? mask(i, j) : 0));
        }
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let c = 0; c < Dv; c++) out.push(e.reduce((acc, w, j) => acc + (w / z) * v.get(b, j, c), 0));
      }
    return out;
  }

  it("matches a naive softmax(q·kᵀ/sqrt(D))·v, with causal and explicit masks", () => {
    const r = rng(7);
    const q = rand(r, [2, 3, 4]), k = rand(r, [2, 5, 4]), v = rand(r, [2, 5, 3]);
    const mask = rand(r, [3, 5]);
    const build = (opts: (g: Graph) => Parameters<typeof ops.scaled_dot_product_attention>[3]) => {
      const g = new Graph("a", [q.type, k.type, v.type]);
      const [x, y, z] = g.inputs;
      g.output(ops.scaled_dot_product_attention(x!, y!, z!, opts(g)));
      return interpret(g, [q, k, v])[0]!.toArray();
    };
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 5));
    close(build(() => ({})), naive(q, k, v, 0.5));
    close(build(() => ({ causal: true, scale: 0.3 })), naive(q, k, v, 0.3, (i, j) => (j <= i + 2 ? 0 : -Infinity)));
    close(build((g) => ({ mask: g.constant(mask) })), naive(q, k, v, 0.5, (i, j) => mask.get(i, j)));
    const boolMask = Tensor.fromArray("bool", [3, 5], Array.from({ length: 15 }, (_, t) => +(t % 3 !== 1)));
    close(build((g) => ({ mask: g.constant(boolMask) })), naive(q, k, v, 0.5, (i, j) => (boolMask.get(i, j) ? 0 : -Infinity)));
  });

  it("rejects mismatched q/k/v with ShapeError or DTypeError naming the op", () => {
    const g = new Graph("a", [new TensorType("f32", [2, 4]), new TensorType("f32", [3, 5]), new TensorType("f32", [3, 2]), new TensorType("f16", [3, 4]), new TensorType("f32", [3, "d"])]);
    const [q, k, v, h, s] = g.inputs;
    expect(() => ops.scaled_dot_product_attention(q!, k!, v!)).toThrow(ShapeError);
    expect(() => ops.scaled_dot_product_attention(q!, k!, v!)).toThrow(/\[scaled_dot_product_attention\] q and k differ in the feature dim: 4 vs 5 \(operands: f32\[2, 4\], f32\[3, 5\], f32\[3, 2\]\) at .*ops\.test\.ts/);
    expect(() => ops.scaled_dot_product_attention(q!, h!, v!)).toThrow(DTypeError);
    expect(() => ops.scaled_dot_product_attention(s!, s!, v!)).toThrow(/feature dim d is symbolic: pass \{ scale \}/);
    expect(() => ops.scaled_dot_product_attention(q!, ops.transpose(k!, 0, 1), v!)).toThrow(/q and k differ/);
    const g2 = new Graph("m", [new TensorType("f32", [2, 4]), new TensorType("f32", [3, 4]), new TensorType("f32", [3, 2]), new TensorType("f16", [2, 3]), new TensorType("f32", [2, 2])]);
    const [q2, k2, v2, mh, mbad] = g2.inputs;
    expect(() => ops.scaled_dot_product_attention(q2!, k2!, v2!, { mask: mh })).toThrow(/mask must be bool or f32 like q, got f16/);
    expect(() => ops.scaled_dot_product_attention(q2!, k2!, v2!, { mask: mbad })).toThrow(/\[scaled_dot_product_attention\] mask \[2, 2\] does not broadcast to the scores \[2, 3\]/);
  });
});

describe("transpose, split, unsqueeze, squeeze", () => {
  it("transpose swaps two axes of the data", () => {
    const g = new Graph("t", [new TensorType("f32", [2, 3])]);
    g.output(g.inputs[0]!.transpose(0, 1));
    const [r] = interpret(g, [Tensor.fromArray("f32", [2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(r!.shape).toEqual([3, 2]);
    expect(r!.toArray()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(() => ops.transpose(g.inputs[0]!, 0, 2)).toThrow(/\[transpose\] axis 2 out of range for rank 2/);
  });

  it("split returns slices that concat back to the input, symbolic sizes included", () => {
    const g = new Graph("s", [new TensorType("f32", [2, "seq"])]);
    const parts = ops.split(g.inputs[0]!, [1, "seq-3", 2], 1);
    expect(parts.map((p) => String(p.type))).toEqual(["f32[2, 1]", "f32[2, seq-3]", "f32[2, 2]"]);
    g.output(...parts, ops.concat(parts, 1));
    const x = Tensor.fromArray("f32", [2, 6], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const [a, b, c, back] = interpret(g, [x]);
    expect(a!.toArray()).toEqual([0, 6]);
    expect(b!.toArray()).toEqual([1, 2, 3, 7, 8, 9]);
    expect(c!.toArray()).toEqual([4, 5, 10, 11]);
    expect(back!.toArray()).toEqual(x.toArray());
    expect(() => ops.split(g.inputs[0]!, [1, 2], 1)).toThrow(/\[split\] sizes \[1, 2\] add up to 3, expected seq/);
  });

  it("unsqueeze and squeeze reshape around size-1 axes", () => {
    const g = new Graph("u", [new TensorType("f32", ["b", 3])]);
    const u = g.inputs[0]!.unsqueeze(-1);
    expect(String(u.type)).toBe("f32[b, 3, 1]");
    expect(String(u.squeeze(2).type)).toBe("f32[b, 3]");
    expect(() => u.squeeze(1)).toThrow(/\[squeeze\] axis 1 must have size 1, got 3/);
  });
});

describe("Value methods", () => {
  it("forward to the ops functions", () => {
    const g = new Graph("v", [new TensorType("f32", [2, 3, 4]), new TensorType("i64", [5])]);
    const [x, i] = g.inputs;
    expect(String(x!.sum([1, 2]).type)).toBe("f32[2]");
    expect(String(x!.mean(-1, true).type)).toBe("f32[2, 3, 1]");
    expect(String(x!.max().type)).toBe("f32[]");
    expect(String(x!.argmax(1).type)).toBe("i32[2, 4]");
    expect(String(x!.reshape([6, -1]).type)).toBe("f32[6, 4]");
    expect(String(x!.permute([2, 0, 1]).type)).toBe("f32[4, 2, 3]");
    expect(String(x!.slice([1], [3], [1]).type)).toBe("f32[2, 2, 4]");
    expect(x!.split([1, 3], 2).map((v) => String(v.type))).toEqual(["f32[2, 3, 1]", "f32[2, 3, 3]"]);
    expect(String(x!.pad([[0, 0], [1, 1], [0, 2]]).type)).toBe("f32[2, 5, 6]");
    expect(String(x!.broadcast_to([7, 2, 3, 4]).type)).toBe("f32[7, 2, 3, 4]");
    expect(String(x!.gather(i!, 2).type)).toBe("f32[2, 3, 5]");
    expect(String(x!.log_softmax().type)).toBe("f32[2, 3, 4]");
  });
});
