// Reductions (reduce_sum/mean/max, argmax) and normalisations (layer_norm, rms_norm): hand
// values, properties against naive loops over random shapes and axes, and the errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DTypeError, Graph, ShapeError, Tensor, TensorType, ops } from "../index.js";
import { f32, run1, size, unravel } from "./op-test-util.js";

const type = (...shape: (number | string)[]) => new TensorType("f32", shape);

describe("reduce_sum / reduce_mean / reduce_max", () => {
  const x = f32([2, 3], [1, 2, 3, -4, 5, 6]);
  it("hand values", () => {
    expect(run1([x], (v) => ops.sum(v)).toArray()).toEqual([13]);
    expect(run1([x], (v) => ops.sum(v, 0)).toArray()).toEqual([-3, 7, 9]);
    expect(run1([x], (v) => ops.sum(v, [1], true)).shape).toEqual([2, 1]);
    expect(run1([x], (v) => ops.mean(v, -1)).toArray()).toEqual([2, 7 / 3].map(Math.fround));
    expect(run1([x], (v) => ops.max(v, [0, 1], true)).toArray()).toEqual([6]);
    expect(run1([x], (v) => ops.reduce_max(v, 1)).toArray()).toEqual([3, 6]);
    expect(run1([Tensor.fromArray("i32", [3], [7, -2, 4])], (v) => ops.sum(v)).toArray()).toEqual([9]);
    expect(run1([f32([2], [1, NaN])], (v) => ops.max(v)).toArray()).toEqual([NaN]);
    expect(run1([f32([0, 2], [])], (v) => ops.sum(v, 0)).toArray()).toEqual([0, 0]);
  });
  it("property: match naive loops for random shapes, axes and keepdims", () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean(), fc.integer(),
      (shape, pick, keepdims, seed) => {
        const axes = shape.map((_, i) => i).filter((i) => pick[i]);
        const data = Array.from({ length: size(shape) }, (_, i) => ((i * 37 + seed) % 19) - 9);
        const x = f32(shape, data);
        const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const sums = new Float64Array(size(outShape)), maxs = new Float64Array(size(outShape)).fill(-Infinity);
        data.forEach((v, i) => {
          const o = unravel(i, shape).map((c, a) => (axes.includes(a) ? 0 : c));
          const j = o.reduce((acc, c, a) => acc * outShape[a]! + c, 0);
          sums[j]! += v;
          maxs[j] = Math.max(maxs[j]!, v);
        });
        const count = size(axes.map((a) => shape[a]!));
        const want = keepdims ? outShape : shape.filter((_, i) => !axes.includes(i));
        const s = run1([x], (v) => ops.sum(v, axes, keepdims));
        expect(s.shape).toEqual(want);
        expect(s.toArray()).toEqual([...sums]);
        expect(run1([x], (v) => ops.max(v, axes, keepdims)).toArray()).toEqual([...maxs]);
        expect(run1([x], (v) => ops.mean(v, axes, keepdims)).toArray()).toEqual([...sums].map((v) => Math.fround(v / count)));
      }), { numRuns: 80 });
  });
  it("symbolic dims drop out or stay", () => {
    const g = new Graph("s", [type("batch", "seq", 8)]);
    expect(String(ops.mean(g.inputs[0]!, 1).type)).toBe("f32[batch, 8]");
    expect(String(ops.sum(g.inputs[0]!, [-1], true).type)).toBe("f32[batch, seq, 1]");
  });
  it("errors", () => {
    const g = new Graph("e", [type(2, 3), new TensorType("i32", [2]), new TensorType("bool", [2])]);
    const [x, i, b] = g.inputs;
    expect(() => ops.sum(x!, 2)).toThrow(/\[reduce_sum\] axis 2 out of range for rank 2 \(operands: f32\[2, 3\]\)/);
    expect(() => ops.sum(x!, [1, -1])).toThrow(/\[reduce_sum\] axis 1 repeated in axes \[1, -1\]/);
    expect(() => ops.mean(i!)).toThrow(/\[reduce_mean\] input must be a float type \(f32, f16, bf16\), got i32/);
    expect(() => ops.max(b!)).toThrow(DTypeError);
    expect(() => ops.sum(x!, 1.5)).toThrow(/\[reduce_sum\] bad attributes: axes\.0/);
  });
});

describe("argmax", () => {
  it("hand values: first max wins, NaN is largest, keepdims, i32 result", () => {
    const r = run1([f32([2, 4], [1, 5, 5, 2, -1, NaN, 3, NaN])], (v) => ops.argmax(v));
    expect(r.dtype).toBe("i32");
    expect(r.toArray()).toEqual([1, 1]);
    expect(run1([f32([2, 2], [1, 4, 3, 2])], (v) => ops.argmax(v, 0, true)).toArray()).toEqual([1, 0]);
  });
  it("property: the chosen index holds the maximum and no earlier index does", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 24 }), (vals) => {
      const r = run1([f32([vals.length], vals)], (v) => ops.argmax(v)).toArray()[0]!;
      const m = Math.max(...vals);
      expect(r).toBe(vals.indexOf(m));
    }), { numRuns: 60 });
  });
  it("errors", () => {
    const g = new Graph("e", [type(2, 0), new TensorType("bool", [2])]);
    expect(() => ops.argmax(g.inputs[0]!)).toThrow(/\[argmax\] axis -1 of f32\[2, 0\] is empty/);
    expect(() => ops.argmax(g.inputs[1]!)).toThrow(/\[argmax\] input must be numeric, got bool/);
    expect(() => ops.argmax(g.inputs[0]!, 3)).toThrow(ShapeError);
  });
});

describe("layer_norm / rms_norm", () => {
  it("hand values", () => {
    const x = f32([2, 2], [1, 3, 4, 0]);
    const g = f32([2], [2, 1]), b = f32([2], [0, 10]);
    expect(run1([x, g, b], (v, gg, bb) => ops.layer_norm(v!, gg!, bb!, 0)).toArray()).toEqual([-2, 11, 2, 9]);
    // Row variances are 1 and 4: eps = 3 gives divisors 2 and sqrt(7).
    expect(run1([x, g, b], (v, gg, bb) => ops.layer_norm(v!, gg!, bb!, 3)).toArray())
      .toEqual([-1, 10.5, 4 / Math.sqrt(7), 10 - 2 / Math.sqrt(7)].map(Math.fround));
    // A constant row has zero variance: with epsilon 0 that is 0/0, as in PyTorch.
    expect(run1([f32([1, 2], [5, 5]), g, b], (v, gg, bb) => ops.layer_norm(v!, gg!, bb!, 0)).toArray()).toEqual([NaN, NaN]);
    // rms of [3, 4] is sqrt(12.5).
    const r = run1([f32([1, 2], [3, 4]), g], (v, gg) => ops.rms_norm(v!, gg!, 0)).toArray();
    expect(r).toEqual([6 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)].map(Math.fround));
  });
  it("property: layer_norm rows have mean beta and std gamma (eps 0, gamma scalar-like)", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (d, rows, seed) => {
      const vals = Array.from({ length: rows * d }, (_, i) => Math.sin(i * 12.9898 + seed) * 3);
      for (let r = 0; r < rows; r++) vals[r * d] = vals[r * d]! + 1; // rows are not constant
      const y = run1([f32([rows, d], vals), f32([d], Array(d).fill(2)), f32([d], Array(d).fill(0.5))],
        (v, gg, bb) => ops.layer_norm(v!, gg!, bb!, 0)).toArray();
      for (let r = 0; r < rows; r++) {
        const row = y.slice(r * d, (r + 1) * d);
        const m = row.reduce((a, c) => a + c, 0) / d;
        const sd = Math.sqrt(row.reduce((a, c) => a + (c - m) ** 2, 0) / d);
        expect(m).toBeCloseTo(0.5, 5);
        expect(sd).toBeCloseTo(2, 4);
      }
    }), { numRuns: 40 });
  });
  it("errors", () => {
    const g = new Graph("e", [type("b", 4), type(4), type(3), new TensorType("f16", [4]), new TensorType("i32", [4]), type()]);
    const [x, g4, g3, h, i, s] = g.inputs;
    expect(String(ops.layer_norm(x!, g4!, g4!).type)).toBe("f32[b, 4]");
    expect(() => ops.layer_norm(x!, g3!, g4!)).toThrow(/\[layer_norm\] gamma must have shape \[4\] \(the last dim of the input f32\[b, 4\]\), got f32\[3\]/);
    expect(() => ops.layer_norm(x!, g4!, g3!)).toThrow(/\[layer_norm\] beta must have shape \[4\]/);
    expect(() => ops.layer_norm(x!, h!, g4!)).toThrow(DTypeError);
    expect(() => ops.rms_norm(i!, i!)).toThrow(/\[rms_norm\] input must be a float type/);
    expect(() => ops.rms_norm(s!, g4!)).toThrow(/\[rms_norm\] input must have rank >= 1, got f32\[\]/);
    expect(() => ops.rms_norm(x!, g4!, -1)).toThrow(/\[rms_norm\] bad attributes: epsilon/);
  });
});
