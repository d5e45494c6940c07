// Elementwise ops, matmul and softmax: hand values, NumPy broadcasting and batched matmul as
// properties over random shapes (infer agrees with the reference output), and the errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DTypeError, Graph, ShapeError, Tensor, TensorType, ops } from "../index.js";
import { f32, run1 as run, size, unravel } from "./op-test-util.js";
import { matmul } from "./matmul.js";

const seq = (shape: number[], k = 1) => f32(shape, Array.from({ length: size(shape) }, (_, i) => (i + 1) * k));
const type = (dt: "f32" | "i32" | "bool" | "f16", ...shape: (number | string)[]) => new TensorType(dt, shape);

/** An output shape and two operand shapes that broadcast to it (dims dropped or set to 1). */
const broadcastCase = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((out) =>
  fc.tuple(fc.constant(out), ...[0, 1].map(() => fc.tuple(fc.nat(out.length), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })))));

describe("binary broadcasting", () => {
  it("hand values", () => {
    expect(run([seq([2, 1]), seq([3])], (a, b) => ops.add(a!, b!)).toArray()).toEqual([2, 3, 4, 3, 4, 5]);
    expect(run([seq([2])], (a) => ops.sub(a!, 1)).toArray()).toEqual([0, 1]);
    expect(run([seq([2])], (a) => ops.div(2, a!)).toArray()).toEqual([2, 1]);
    expect(run([Tensor.fromArray("i32", [2], [7, -7])], (a) => ops.div(a!, 2)).toArray()).toEqual([3, -3]);
    expect(run([seq([3])], (a) => ops.pow(a!, 2)).toArray()).toEqual([1, 4, 9]);
    expect(run([f32([3], [1, NaN, -2])], (a) => ops.maximum(a!, 0)).toArray()).toEqual([1, NaN, 0]);
    expect(run([f32([3], [1, 2, 3])], (a) => ops.less_equal(a!, 2)).toArray()).toEqual([1, 1, 0]);
  });

  it("property: infer gives NumPy's shape and the reference reads the right elements", () => {
    fc.assert(fc.property(broadcastCase, ([out, [dropA, onesA], [dropB, onesB]]) => {
      const shapeOf = (drop: number, ones: boolean[]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
      const sa = shapeOf(dropA, onesA), sb = shapeOf(dropB, onesB);
      // The expected result shape, computed independently: the larger of each aligned pair.
      const rank = Math.max(sa.length, sb.length);
      const want = Array.from({ length: rank }, (_, i) => Math.max(sa[sa.length - rank + i] ?? 1, sb[sb.length - rank + i] ?? 1));
      const a = seq(sa), b = seq(sb, 1000);
      const r = run([a, b], (x, y) => ops.add(x!, y!));
      expect(r.shape).toEqual(want);
      r.toArray().forEach((v, i) => {
        const idx = unravel(i, want);
        const at = (t: Tensor) => t.get(...idx.slice(rank - t.rank).map((c, k) => (t.shape[k] === 1 ? 0 : c)));
        expect(v).toBe(at(a) + at(b));
      });
    }), { numRuns: 120 });
  });

  it("symbolic dims broadcast against 1 and equal symbols", () => {
    const g = new Graph("s", [type("f32", "batch", 1, 4), type("f32", "seq", 1), type("f32", "seq", 4)]);
    const [a, b, c] = g.inputs;
    expect(String(ops.mul(a!, b!).type)).toBe("f32[batch, seq, 4]");
    expect(String(ops.add(c!, b!).type)).toBe("f32[seq, 4]");
    expect(() => ops.add(a!, ops.reshape(c!, [4, "seq"]))).toThrow(/\[add\] shapes \[batch, 1, 4\] and \[4, seq\] do not broadcast: 4 vs seq at axis 2/);
  });

  it("errors name the op, shapes and dtypes", () => {
    const g = new Graph("e", [type("f32", 2, 3), type("f32", 4), type("i32", 3), type("bool", 3)]);
    const [a, b, i, bo] = g.inputs;
    expect(() => ops.add(a!, b!)).toThrow(ShapeError);
    expect(() => ops.add(a!, b!)).toThrow(/\[add\] shapes \[2, 3\] and \[4\] do not broadcast: 3 vs 4 at axis 1 \(operands: f32\[2, 3\], f32\[4\]\) at .*elementwise\.test\.ts:\d+/);
    expect(() => ops.mul(a!, i!)).toThrow(DTypeError);
    expect(() => ops.mul(a!, i!)).toThrow(/\[mul\] operand dtypes differ: f32, i32/);
    expect(() => ops.sub(bo!, bo!)).toThrow(/\[sub\] operands must be numeric, got bool/);
    expect(() => ops.exp(i!)).toThrow(/\[exp\] input must be a float type \(f32, f16, bf16\), got i32/);
    expect(() => ops.neg(bo!)).toThrow(/\[neg\] input must be numeric, got bool/);
    expect(() => ops.where(i!, a!, a!)).toThrow(/\[where\] condition must be bool, got i32/);
  });
});

describe("unary, where, cast", () => {
  it("hand values", () => {
    const x = f32([4], [-2, -0.5, 0, 3]);
    expect(run([x], (v) => ops.relu(v!)).toArray()).toEqual([0, 0, 0, 3]);
    expect(run([x], (v) => ops.abs(v!)).toArray()).toEqual([2, 0.5, 0, 3]);
    expect(run([f32([2], [0, 1])], (v) => ops.sigmoid(v!)).toArray()).toEqual([0.5, Math.fround(1 / (1 + Math.exp(-1)))]);
    expect(run([f32([2], [4, 0.25])], (v) => ops.rsqrt(v!)).toArray()).toEqual([0.5, 2]);
    // Known values: erf(1) = 0.8427007929497149, gelu(1) = 0.8413447460685429, gelu_tanh(1) = 0.8411919906082768.
    expect(run([f32([1], [1])], (v) => ops.erf(v!)).toArray()[0]).toBe(Math.fround(0.8427007929497149));
    expect(run([f32([1], [1])], (v) => ops.gelu(v!)).toArray()[0]).toBe(Math.fround(0.8413447460685429));
    expect(run([f32([1], [1])], (v) => ops.gelu(v!, "tanh")).toArray()[0]).toBe(Math.fround(0.8411919906082768));
    expect(run([f32([1], [1])], (v) => ops.silu(v!)).toArray()[0]).toBe(Math.fround(1 / (1 + Math.exp(-1))));
    const c = Tensor.fromArray("bool", [3], [1, 0, 1]);
    expect(run([c, f32([3], [1, 2, 3])], (cc, v) => ops.where(cc!, v!, -1)).toArray()).toEqual([1, -1, 3]);
    expect(run([f32([4], [-1.7, 2.9, 0, 0.5])], (v) => ops.cast(v!, "i32")).toArray()).toEqual([-1, 2, 0, 0]);
    expect(run([f32([2], [0, 0.1])], (v) => ops.cast(v!, "bool")).toArray()).toEqual([0, 1]);
  });
});

describe("matmul", () => {
  it("hand values, 1-D operands", () => {
    expect(run([seq([2, 2]), seq([2, 1])], (a, b) => ops.matmul(a!, b!)).toArray()).toEqual([5, 11]);
    expect(run([seq([2]), seq([2, 3])], (a, b) => ops.matmul(a!, b!)).toArray()).toEqual([9, 12, 15]);
    expect(run([seq([2, 3]), seq([3])], (a, b) => ops.matmul(a!, b!)).toArray()).toEqual([14, 32]);
  });

  it("property: batched, broadcasting, odd sizes match a naive triple loop", () => {
    fc.assert(fc.property(
      fc.record({ m: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 1, max: 9 }),
        ba: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), bcast: fc.boolean() }),
      ({ m, k, n, ba, bcast }) => {
        const bb = bcast ? ba.map(() => 1) : ba;
        const a = seq([...ba, m, k]), b = f32([...bb, k, n], Array.from({ length: size([...bb, k, n]) }, (_, i) => (i % 5) - 2));
        const r = run([a, b], (x, y) => ops.matmul(x!, y!));
        expect(r.shape).toEqual([...ba, m, n]);
        r.toArray().forEach((v, i) => {
          const idx = unravel(i, r.shape);
          const batch = idx.slice(0, ba.length), bi = batch.map((c, t) => (bb[t] === 1 ? 0 : c));
          let s = 0;
          for (let p = 0; p < k; p++) s += a.get(...batch, idx[ba.length]!, p) * b.get(...bi, p, idx[ba.length + 1]!);
          expect(v).toBe(s);
        });
      }), { numRuns: 80 });
  });

  it("property: both kernels (rows of B below 16 rows of A, transposed B above) sum p in order, bit for bit", () => {
    // Unrounded random doubles, so any other summation order would show in the last bits.
    const rand = (shape: number[], seed: number) => {
      let x = seed >>> 0;
      return { dtype: "f32" as const, shape, data: Float64Array.from({ length: size(shape) }, () => {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        return x / 2 ** 32 - 0.5;
      }) };
    };
    fc.assert(fc.property(
      fc.record({ m: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 14, max: 19 })), k: fc.integer({ min: 0, max: 9 }),
        n: fc.integer({ min: 1, max: 9 }), ba: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        onesA: fc.boolean(), onesB: fc.boolean(), seed: fc.integer() }),
      ({ m, k, n, ba, onesA, onesB, seed }) => {
        const sa = [...(onesA ? ba.map(() => 1) : ba), m, k], sb = [...(onesB ? ba.map(() => 1) : ba), k, n];
        const a = rand(sa, seed), b = rand(sb, seed + 1);
        const out = [...ba, m, n];
        const r = matmul.reference([a, b], {}, { dtype: "f32", shape: out }).data;
        for (let i = 0; i < r.length; i++) {
          const idx = unravel(i, out), bi = idx.slice(0, ba.length);
          const at = (sh: number[], ones: boolean, row: number, col: number) =>
            [...bi.map((c) => (ones ? 0 : c)), row, col].reduce((acc, c, ax) => acc * sh[ax]! + c, 0);
          let s = 0;
          for (let p = 0; p < k; p++) s += a.data[at(sa, onesA, idx[ba.length]!, p)]! * b.data[at(sb, onesB, p, idx[ba.length + 1]!)]!;
          expect(Object.is(r[i], s), `element ${i}: ${r[i]} vs ${s}`).toBe(true);
        }
      }), { numRuns: 120 });
  });

  it("errors", () => {
    const g = new Graph("e", [type("f32", 2, 3), type("f32", 4, 2), type("i32", 3, 2), type("f32"), type("f32", 5, 3, 2), type("f32", 4, 2, 2)]);
    const [a, b, i, s, c, d] = g.inputs;
    expect(() => ops.matmul(a!, b!)).toThrow(/\[matmul\] contraction dims differ: f32\[2, 3\] · f32\[4, 2\] \(3 vs 4\)/);
    expect(() => ops.matmul(i!, i!)).toThrow(/\[matmul\] input must be a float type/);
    expect(() => ops.matmul(a!, s!)).toThrow(/operands must have rank >= 1/);
    expect(() => ops.matmul(c!, d!)).toThrow(/\[matmul\] shapes \[5\] and \[4\] do not broadcast/);
  });
});

describe("softmax / log_softmax", () => {
  it("hand values along either axis; rows sum to one", () => {
    const x = f32([2, 2], [0, Math.log(3), 1, 1]);
    expect(run([x], (v) => ops.softmax(v!)).toArray()).toEqual([0.25, 0.75, 0.5, 0.5]);
    // log(3) is stored as f32, so the log-probabilities are exact only to f32 precision.
    const ls = run([x], (v) => ops.log_softmax(v!)).toArray();
    [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)].forEach((w, i) => expect(ls[i]).toBeCloseTo(w, 6));
    const col = run([f32([2, 1], [0, Math.log(3)])], (v) => ops.softmax(v!, 0)).toArray();
    expect(col).toEqual([0.25, 0.75]);
    fc.assert(fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 }), (vals) => {
      const r = run([f32([vals.length], vals)], (v) => ops.softmax(v!)).toArray();
      expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }), { numRuns: 40 });
  });
  it("errors", () => {
    const g = new Graph("e", [type("i32", 2), type("f32", 2)]);
    expect(() => ops.softmax(g.inputs[0]!)).toThrow(/\[softmax\] input must be a float type/);
    expect(() => ops.softmax(g.inputs[1]!, 1)).toThrow(/\[softmax\] axis 1 out of range for rank 1/);
  });
});
