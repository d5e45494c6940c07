// Data-movement ops (permute, reshape, slice, concat, pad, broadcast_to, gather, iota): hand
// values, properties against naive index arithmetic over random shapes, and the errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DTypeError, ExecutionError, Graph, ShapeError, Tensor, TensorType, interpret, ops } from "../index.js";
import { f32, run1, size, unravel } from "./op-test-util.js";
import { pySlice } from "./movement.js";

const seq = (shape: number[]) => Tensor.fromArray("f32", shape, Array.from({ length: size(shape) }, (_, i) => i));
const ravel = (idx: readonly number[], shape: readonly number[]) => idx.reduce((acc, v, a) => acc * shape[a]! + v, 0);
const shapeArb = (maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });
const type = (...shape: (number | string)[]) => new TensorType("f32", shape);

describe("permute", () => {
  it("hand values", () => {
    expect(run1([seq([2, 3])], (x) => ops.permute(x, [1, 0])).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it("property: out[idx] = in[idx permuted back]", () => {
    fc.assert(fc.property(shapeArb(4), fc.integer(), (shape, seed) => {
      const perm = shape.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
      const r = run1([seq(shape)], (x) => ops.permute(x, perm));
      const out = r.toArray();
      out.forEach((v, i) => {
        const oi = unravel(i, r.shape);
        const ii = new Array<number>(shape.length);
        perm.forEach((p, a) => (ii[p] = oi[a]!));
        expect(v).toBe(ravel(ii, shape));
      });
    }), { numRuns: 60 });
  });
  it("errors", () => {
    const g = new Graph("e", [type(2, 3, 4)]);
    expect(() => ops.permute(g.inputs[0]!, [0, 1])).toThrow(/\[permute\] dims \[0, 1\] must list each of the 3 axes of f32\[2, 3, 4\] once/);
    expect(() => ops.permute(g.inputs[0]!, [0, 1, 1])).toThrow(ShapeError);
    expect(() => ops.permute(g.inputs[0]!, [0, 1, -2])).toThrow(/axis 1 repeated in axes \[0, 1, -2\]/);
    expect(() => ops.permute(g.inputs[0]!, [0, 1, 3])).toThrow(/\[permute\] axis 3 out of range for rank 3 \(operands: f32\[2, 3, 4\]\) at .*movement\.test\.ts/);
  });
});

describe("reshape", () => {
  it("keeps row-major data and infers -1, symbolic included", () => {
    expect(run1([seq([2, 3])], (x) => ops.reshape(x, [3, -1])).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    const g = new Graph("s", [type("batch", "seq", 384)]);
    const x = g.inputs[0]!;
    expect(String(ops.reshape(x, ["batch", "seq", 6, -1]).type)).toBe("f32[batch, seq, 6, 64]");
    expect(String(ops.reshape(x, [-1]).type)).toBe("f32[384*batch*seq]");
    expect(String(ops.reshape(ops.reshape(x, [-1, 384]), ["batch", -1, 2]).type)).toBe("f32[batch, 192*seq, 2]");
    expect(String(ops.reshape(x, ["seq", "batch", 384]).type)).toBe("f32[seq, batch, 384]");
  });
  it("property: any regrouping with one -1 infers the missing factor", () => {
    fc.assert(fc.property(shapeArb(4), fc.nat(), (shape, k) => {
      const total = size(shape);
      const target = [...shape].reverse();
      const hole = k % target.length;
      target[hole] = -1;
      const r = run1([seq(shape)], (x) => ops.reshape(x, target));
      expect(size(r.shape)).toBe(total);
      expect(r.shape[hole]).toBe(shape[shape.length - 1 - hole]);
      expect(r.toArray()).toEqual(seq(shape).toArray());
    }), { numRuns: 60 });
  });
  it("errors", () => {
    const g = new Graph("e", [type(2, 3), type("n", 4)]);
    const [x, y] = g.inputs;
    expect(() => ops.reshape(x!, [4, 2])).toThrow(/\[reshape\] cannot reshape f32\[2, 3\] \(6 elements\) to \[4, 2\] \(8 elements\)/);
    expect(() => ops.reshape(x!, [4, -1])).toThrow(/cannot infer the -1 in \[4, -1\]: f32\[2, 3\] has 6 elements, not a multiple of 4/);
    expect(() => ops.reshape(x!, [-1, -1])).toThrow(/at most one -1/);
    expect(() => ops.reshape(x!, [-2, -3])).toThrow(/bad dim -2/);
    expect(() => ops.reshape(y!, [3, -1])).toThrow(ShapeError);
    expect(() => ops.reshape(y!, ["m", 4])).toThrow(/\(4\*n elements\) to \[m, 4\] \(4\*m elements\)/);
  });
});

/** The indices Python's range(len)[start:end:step] selects, by filtering rather than counting. */
function pythonIndices(len: number, start: number | null, end: number | null, step: number): number[] {
  const out: number[] = [];
  if (step > 0) {
    const s = Math.max(start === null ? 0 : start < 0 ? start + len : start, 0);
    const e = end === null ? len : end < 0 ? end + len : end;
    for (let i = 0; i < len; i++) if (i >= s && i < e && (i - s) % step === 0) out.push(i);
  } else {
    const s = Math.min(start === null ? len - 1 : start < 0 ? start + len : start, len - 1);
    const e = end === null ? -1 : end < 0 ? Math.max(end + len, -1) : end;
    for (let i = len - 1; i >= 0; i--) if (i <= s && i > e && (s - i) % -step === 0) out.push(i);
  }
  return out;
}

describe("slice", () => {
  it("hand values: negative indices, steps both ways, open bounds", () => {
    const x = seq([6]);
    const s = (st: (number | null)[], en: (number | null)[], steps?: number[]) => run1([x], (v) => ops.slice(v, st, en, [0], steps)).toArray();
    expect(s([1], [4])).toEqual([1, 2, 3]);
    expect(s([-2], [null])).toEqual([4, 5]);
    expect(s([null], [null], [-1])).toEqual([5, 4, 3, 2, 1, 0]);
    expect(s([4], [0], [-2])).toEqual([4, 2]);
    expect(s([-100], [100], [4])).toEqual([0, 4]);
    expect(s([3], [1])).toEqual([]);
    const m = run1([seq([3, 4])], (v) => ops.slice(v, [1, -1], [null, 0], [0, 1], [1, -2]));
    expect(m.shape).toEqual([2, 2]);
    expect(m.toArray()).toEqual([7, 5, 11, 9]);
  });
  it("property: pySlice and the op agree with Python's filtering semantics", () => {
    const bound = (len: number) => fc.option(fc.integer({ min: -2 * len - 1, max: 2 * len + 1 }), { nil: null });
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }).chain((len) => fc.tuple(fc.constant(len), bound(len), bound(len),
      fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0))), ([len, start, end, step]) => {
      const want = pythonIndices(len, start, end, step);
      const [s0, n] = pySlice(len, start, end, step);
      expect(n).toBe(want.length);
      if (n > 0) expect(s0).toBe(want[0]);
      if (len === 0) return;
      const r = run1([seq([2, len])], (v) => ops.slice(v, [start], [end], [1], [step]));
      expect(r.toArray()).toEqual([...want, ...want.map((i) => i + len)]);
    }), { numRuns: 200 });
  });
  it("symbolic bounds and dims", async () => {
    const g = new Graph("s", [type(10, 2), type("past", 2), type("seq", 2), type("n", 3)]);
    const [pos, , , x] = g.inputs;
    const p = ops.slice(pos!, ["past"], ["past+seq"], [0]);
    expect(String(p.type)).toBe("f32[seq, 2]");
    const last = ops.slice(x!, [-1], [null], [0]);
    expect(String(last.type)).toBe("f32[1, 3]");
    const rev = ops.slice(x!, [null], [null], [0], [-1]);
    expect(String(rev.type)).toBe("f32[n, 3]");
    const odd = ops.slice(x!, [1], ["n"], [0], [1]);
    expect(String(odd.type)).toBe("f32[n-1, 3]");
    expect(String(ops.slice(ops.concat([x!, x!], 0), [null], [null], [0], [2]).type)).toBe("f32[n, 3]");
    expect(() => ops.slice(x!, [0], [null], [0], [2])).toThrow(/\[slice\] axis 0 of f32\[n, 3\]: the length \(n\) \/ 2 is not a whole symbolic dim/);
    g.output(p, last, rev, odd);
    const ins = [seq([10, 2]), seq([3, 2]), seq([2, 2]), seq([4, 3])];
    const [a, b, c, d] = interpret(g, ins);
    expect(a!.toArray()).toEqual([6, 7, 8, 9]);
    expect(b!.toArray()).toEqual([9, 10, 11]);
    expect(c!.toArray()).toEqual([9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect(d!.shape).toEqual([3, 3]);
    // Symbolic bounds are not clamped: out of range at run time is an error, not a silent clamp.
    expect(() => interpret(g, [seq([10, 2]), seq([9, 2]), seq([2, 2]), seq([4, 3])])).toThrow(
      /\[slice\] axis 0: bounds past:past\+seq:1 on size 10 give 1 elements, the graph expects 2/);
  });
  it("errors", () => {
    const g = new Graph("e", [type(4, 5)]);
    const x = g.inputs[0]!;
    expect(() => ops.slice(x, [0, 1], [1])).toThrow(/\[slice\] starts, ends, axes and steps must have equal lengths, got 2, 1, 2, 2/);
    expect(() => ops.slice(x, [0], [1], [0], [0])).toThrow(/step must be nonzero on axis 0/);
    expect(() => ops.slice(x, [0], [1], [2])).toThrow(/axis 2 out of range for rank 2/);
    expect(() => ops.slice(x, [0, 0, 0], [1, 1, 1])).toThrow(/3 bounds given for an input of rank 2/);
    expect(() => ops.slice(x, [0], [1], [0], [1.5])).toThrow(/\[slice\] bad attributes: steps\.0/);
  });
});

describe("concat", () => {
  it("hand values and symbolic lengths", () => {
    const r = run1([seq([2, 1]), seq([2, 2])], (a, b) => ops.concat([a!, b!], -1));
    expect(r.toArray()).toEqual([0, 0, 1, 1, 2, 3]);
    const g = new Graph("c", [type("b", "past", 8), type("b", 1, 8), type("b", "seq", 8)]);
    expect(String(ops.concat(g.inputs, 1).type)).toBe("f32[b, past+seq+1, 8]");
  });
  it("property: out matches naive placement along a random axis", () => {
    fc.assert(fc.property(shapeArb(3), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), fc.nat(), (shape, lens, k) => {
      const axis = k % shape.length;
      const parts = lens.map((l, t) => Tensor.fromArray("f32", shape.map((d, a) => (a === axis ? l : d)),
        Array.from({ length: size(shape.map((d, a) => (a === axis ? l : d))) }, (_, i) => 100 * t + i)));
      const r = run1(parts, (...vs) => ops.concat(vs, axis));
      r.toArray().forEach((v, i) => {
        const idx = unravel(i, r.shape);
        let j = idx[axis]!, t = 0;
        while (j >= lens[t]!) j -= lens[t++]!;
        idx[axis] = j;
        expect(v).toBe(parts[t]!.get(...idx));
      });
    }), { numRuns: 60 });
  });
  it("errors", () => {
    const g = new Graph("e", [type(2, 3), type(2, 4), type(2, 3, 1), new TensorType("f16", [2, 3])]);
    const [a, b, c, h] = g.inputs;
    expect(() => ops.concat([a!, b!], 0)).toThrow(/\[concat\] inputs differ on axis 1: expected 3, got 4 \(f32\[2, 3\], f32\[2, 4\]\) \(operands: f32\[2, 3\], f32\[2, 4\]\)/);
    expect(() => ops.concat([a!, c!], 0)).toThrow(/\[concat\] inputs differ in rank/);
    expect(() => ops.concat([a!, h!], 0)).toThrow(DTypeError);
    expect(() => ops.concat([], 0)).toThrow(/needs at least one value/);
    expect(() => ops.concat([a!], 2)).toThrow(/axis 2 out of range for rank 2/);
  });
});

describe("pad", () => {
  it("hand values, f16 fill rounded", () => {
    expect(run1([seq([2, 2])], (x) => ops.pad(x, [[1, 0], [0, 1]], -1)).toArray()).toEqual([-1, -1, -1, 0, 1, -1, 2, 3, -1]);
    const h = Tensor.fromArray("f16", [1], [1]);
    expect(run1([h], (x) => ops.pad(x, [[0, 1]], 0.1)).toArray()).toEqual([1, 0.0999755859375]);
  });
  it("property: interior is the input, border is the value", () => {
    fc.assert(fc.property(shapeArb(3, 3), fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { minLength: 3, maxLength: 3 }), (shape, p) => {
      const pads = shape.map((_, a) => p[a]!);
      const x = seq(shape);
      const r = run1([x], (v) => ops.pad(v, pads, -7));
      r.toArray().forEach((v, i) => {
        const idx = unravel(i, r.shape).map((o, a) => o - pads[a]![0]);
        const inside = idx.every((o, a) => o >= 0 && o < shape[a]!);
        expect(v).toBe(inside ? x.get(...idx) : -7);
      });
    }), { numRuns: 60 });
  });
  it("errors and symbolic dims", () => {
    const g = new Graph("e", [type("t", 3)]);
    expect(String(ops.pad(g.inputs[0]!, [[1, 1], [0, 0]]).type)).toBe("f32[t+2, 3]");
    expect(() => ops.pad(g.inputs[0]!, [[1, 1]])).toThrow(/\[pad\] needs one \[before, after\] pair per axis of f32\[t, 3\]: expected 2, got 1/);
    expect(() => ops.pad(g.inputs[0]!, [[1, 1], [-1, 0]])).toThrow(/\[pad\] bad attributes: pads\.1\.0/);
  });
});

describe("broadcast_to", () => {
  it("hand values and errors", () => {
    expect(run1([seq([2, 1])], (x) => ops.broadcast_to(x, [2, 2, 3])).toArray()).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    const g = new Graph("e", [type(3, 2), type(1, "n")]);
    expect(String(ops.broadcast_to(g.inputs[1]!, ["m", "n"]).type)).toBe("f32[m, n]");
    expect(() => ops.broadcast_to(g.inputs[0]!, [4, 3])).toThrow(/\[broadcast_to\] cannot broadcast f32\[3, 2\] to \[4, 3\]/);
    expect(() => ops.broadcast_to(g.inputs[0]!, [2])).toThrow(ShapeError);
    expect(() => ops.broadcast_to(g.inputs[0]!, [1, 2])).toThrow(/cannot broadcast f32\[3, 2\] to \[1, 2\]/);
  });
});

describe("gather", () => {
  it("hand values: embedding lookup, inner axis, 2-D indices, i64 and negative indices", () => {
    const emb = seq([4, 3]);
    expect(run1([emb, Tensor.fromArray("i64", [2, 2], [3, 0, -1, 1])], (e, i) => ops.gather(e!, i!, 0)).toArray())
      .toEqual([9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5]);
    const r = run1([emb, Tensor.fromArray("i32", [2], [2, 0])], (e, i) => ops.gather(e!, i!, 1));
    expect(r.shape).toEqual([4, 2]);
    expect(r.toArray()).toEqual([2, 0, 5, 3, 8, 6, 11, 9]);
    const s = run1([emb, Tensor.fromArray("i32", [], [2])], (e, i) => ops.gather(e!, i!, 0));
    expect(s.shape).toEqual([3]);
    expect(s.toArray()).toEqual([6, 7, 8]);
  });
  it("property: out shape and values follow input[:axis] + indices + input[axis+1:]", () => {
    fc.assert(fc.property(shapeArb(3), shapeArb(2), fc.nat(), fc.integer(), (shape, ishape, k, seed) => {
      const axis = k % shape.length;
      const len = shape[axis]!;
      const idx = Tensor.fromArray("i32", ishape, Array.from({ length: size(ishape) }, (_, i) => ((i * 31 + seed) % (2 * len) + 2 * len) % (2 * len) - len));
      const x = seq(shape);
      const r = run1([x, idx], (a, b) => ops.gather(a!, b!, axis));
      expect(r.shape).toEqual([...shape.slice(0, axis), ...ishape, ...shape.slice(axis + 1)]);
      r.toArray().forEach((v, i) => {
        const o = unravel(i, r.shape);
        const t = idx.get(...o.slice(axis, axis + ishape.length));
        expect(v).toBe(x.get(...o.slice(0, axis), t < 0 ? t + len : t, ...o.slice(axis + ishape.length)));
      });
    }), { numRuns: 60 });
  });
  it("errors: index dtype at build time, out-of-range index at run time", () => {
    const g = new Graph("e", [type(3, 2), type(2), new TensorType("i32", [2]), new TensorType("f32", [])]);
    const [e, f, i, s] = g.inputs;
    expect(() => ops.gather(e!, f!, 0)).toThrow(/\[gather\] indices must be i32 or i64, got f32/);
    expect(() => ops.gather(e!, f!, 0)).toThrow(DTypeError);
    expect(() => ops.gather(s!, i!, 0)).toThrow(/\[gather\] input must have rank >= 1, got f32\[\]/);
    expect(() => ops.gather(e!, i!, 2)).toThrow(/axis 2 out of range for rank 2/);
    g.output(ops.gather(e!, i!, 0));
    expect(() => interpret(g, [seq([3, 2]), seq([2]), Tensor.fromArray("i32", [2], [0, -4]), Tensor.scalar("f32", 0)])).toThrow(ExecutionError);
    expect(() => interpret(g, [seq([3, 2]), seq([2]), Tensor.fromArray("i32", [2], [0, -4]), Tensor.scalar("f32", 0)])).toThrow(
      /index -4 \(at flat position 1 of indices \[2\]\) out of range for axis 0 of size 3/);
  });
});

describe("iota", () => {
  it("hand values on each axis, symbolic shapes and dtypes", () => {
    const g = new Graph("i", [type("n", 1)]);
    const a = ops.iota([2, 3], 0, "f32", g), b = ops.iota(["n", 2], -1, "i64", g), c = ops.iota([3], 0, "bf16", g);
    expect(String(b.type)).toBe("i64[n, 2]");
    g.output(a, b, c);
    const [ra, rb, rc] = interpret(g, [seq([3, 1])]);
    expect(ra!.toArray()).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rb!.shape).toEqual([3, 2]);
    expect(rb!.toArray()).toEqual([0, 1, 0, 1, 0, 1]);
    expect(rc!.dtype).toBe("bf16");
    expect(rc!.toArray()).toEqual([0, 1, 2]);
  });
  it("errors", () => {
    const g = new Graph("i");
    expect(() => ops.iota([2, 3], 2, "i32", g)).toThrow(/\[iota\] axis 2 out of range for rank 2 \(operands: none\)/);
    expect(() => ops.iota([2], 0, "bool", g)).toThrow(DTypeError);
    expect(() => ops.iota([], 0, "i32", g)).toThrow(/needs a shape of rank >= 1/);
  });
});
