// conv1d: hand values, a property against a naive padded-input convolution over random
// stride/padding/dilation/groups, symbolic lengths, and the errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DTypeError, Graph, ShapeError, Tensor, TensorType, interpret, ops } from "../index.js";

const type = (...shape: (number | string)[]) => new TensorType("f32", shape);
const f32 = (shape: number[], v: number[]) => Tensor.fromArray("f32", shape, v);

function conv(x: Tensor, w: Tensor, b: Tensor | undefined, opts: Parameters<typeof ops.conv1d>[3]): Tensor {
  const g = new Graph("c", b ? [x.type, w.type, b.type] : [x.type, w.type]);
  const y = ops.conv1d(g.inputs[0]!, g.inputs[1]!, g.inputs[2], opts);
  g.output(y);
  const [r] = interpret(g, b ? [x, w, b] : [x, w]);
  expect(r!.shape).toEqual(y.shape);
  return r!;
}

describe("conv1d", () => {
  it("hand values: padding, bias, stride, dilation, groups", () => {
    const x = f32([1, 1, 4], [1, 2, 3, 4]), w = f32([1, 1, 3], [1, 0, -1]);
    expect(conv(x, w, undefined, {}).toArray()).toEqual([-2, -2]);
    expect(conv(x, w, f32([1], [10]), { padding: 1 }).toArray()).toEqual([8, 8, 8, 13]);
    expect(conv(x, w, undefined, { padding: [2, 0], stride: 2 }).toArray()).toEqual([-1, -2]);
    expect(conv(x, f32([1, 1, 2], [1, 1]), undefined, { dilation: 2 }).toArray()).toEqual([4, 6]);
    // Two groups of one channel each: channel 0 scaled by 1, channel 1 by 10.
    const x2 = f32([1, 2, 2], [1, 2, 3, 4]);
    expect(conv(x2, f32([2, 1, 1], [1, 10]), undefined, { groups: 2 }).toArray()).toEqual([1, 2, 30, 40]);
  });

  it("property: matches a naive convolution over an explicitly padded input", () => {
    fc.assert(fc.property(
      fc.record({ n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 2 }), cpg: fc.integer({ min: 1, max: 2 }), opg: fc.integer({ min: 1, max: 2 }),
        L: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), dil: fc.integer({ min: 1, max: 2 }),
        pl: fc.nat(2), pr: fc.nat(2), bias: fc.boolean() }),
      ({ n, g, cpg, opg, L, K, stride, dil, pl, pr, bias }) => {
        const cin = g * cpg, cout = g * opg;
        const lout = Math.floor((L + pl + pr - dil * (K - 1) - 1) / stride) + 1;
        fc.pre(lout >= 1);
        const xv = Array.from({ length: n * cin * L }, (_, i) => ((i * 7) % 11) - 5);
        const wv = Array.from({ length: cout * cpg * K }, (_, i) => ((i * 5) % 7) - 3);
        const bv = Array.from({ length: cout }, (_, i) => i - 1);
        const r = conv(f32([n, cin, L], xv), f32([cout, cpg, K], wv), bias ? f32([cout], bv) : undefined,
          { stride, padding: [pl, pr], dilation: dil, groups: g });
        const padded = (b: number, c: number, p: number) => (p < pl || p >= pl + L ? 0 : xv[(b * cin + c) * L + p - pl]!);
        const want: number[] = [];
        for (let b = 0; b < n; b++)
          for (let oc = 0; oc < cout; oc++)
            for (let t = 0; t < lout; t++) {
              let s = bias ? bv[oc]! : 0;
              const grp = Math.floor(oc / opg);
              for (let ic = 0; ic < cpg; ic++)
                for (let k = 0; k < K; k++) s += wv[(oc * cpg + ic) * K + k]! * padded(b, grp * cpg + ic, t * stride + k * dil);
              want.push(s);
            }
        expect(r.toArray()).toEqual(want);
      }), { numRuns: 80 });
  });

  it("symbolic batch and length (Whisper's two convolutions)", () => {
    const g = new Graph("w", [type("b", 80, "frames"), type(384, 80, 3), type(384, 384, 3), type(384), type("b", 80, "2*n")]);
    const [mel, w1, w2, b, even] = g.inputs;
    const h = ops.conv1d(mel!, w1!, b!, { padding: 1 });
    expect(String(h.type)).toBe("f32[b, 384, frames]");
    // floor((2n + 2 - 2 - 1) / 2) + 1 = n
    expect(String(ops.conv1d(ops.conv1d(even!, w1!, b!, { padding: 1 }), w2!, b!, { stride: 2, padding: 1 }).type)).toBe("f32[b, 384, n]");
    expect(() => ops.conv1d(h, w2!, b!, { stride: 2, padding: 1 })).toThrow(/\[conv1d\] output length floor\(\(frames-1\) \/ 2\) \+ 1 is not a whole symbolic dim/);
  });

  it("errors", () => {
    const g = new Graph("e", [type(1, 4, 8), type(6, 2, 3), type(6, 4, 3), type(5), type(4, 8), new TensorType("f16", [6, 4, 3]), type(6, 4, 9), type(1, "c", 8)]);
    const [x, w2, w4, b5, x2, h, w9, xs] = g.inputs;
    expect(() => ops.conv1d(x!, w2!)).toThrow(/\[conv1d\] weight f32\[6, 2, 3\] must have C_in\/groups = 4 on axis 1 for input f32\[1, 4, 8\] with groups=1, got 2/);
    expect(() => ops.conv1d(x!, w4!, undefined, { groups: 3 })).toThrow(/groups=3 must divide C_in=4 and C_out=6/);
    expect(() => ops.conv1d(x!, w4!, b5)).toThrow(/\[conv1d\] bias must have shape \[6\], got f32\[5\]/);
    expect(() => ops.conv1d(x2!, w4!)).toThrow(/\[conv1d\] input must be \[N, C_in, L\], got f32\[4, 8\]/);
    expect(() => ops.conv1d(x!, h!)).toThrow(DTypeError);
    expect(() => ops.conv1d(x!, w9!)).toThrow(/input length 8 is too short for kernel 9 \(dilation 1, padding 0\+0\): output length 0/);
    expect(() => ops.conv1d(xs!, w4!)).toThrow(/channels and kernel size must be static/);
    expect(() => ops.conv1d(x!, w4!, undefined, { stride: 0 })).toThrow(/\[conv1d\] bad attributes: stride/);
    expect(() => ops.conv1d(x2!, w4!)).toThrow(ShapeError);
  });
});
