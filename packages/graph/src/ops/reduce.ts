// Reductions over a set of axes (reduce_sum, reduce_mean, reduce_max) and argmax along one
// axis. The interpreter accumulates in float64; backends accumulate reduced precision in f32.

import { z } from "zod";
import type { Dim } from "../dim.js";
import { DTypeError, ShapeError } from "../errors.js";
import { TensorType } from "../tensor-type.js";
import type { OnnxEmitter } from "../onnx/emitter.js";
import type { NDArray, OpDef } from "./types.js";
import { aroundAxis, broadcastIndex, nd, normAxes, normAxis, requireFloat, sizeOf } from "./util.js";

const reduceAttrs = z.object({ axes: z.array(z.number().int()), keepdims: z.boolean().default(false) }).strict();
type ReduceAttrs = z.infer<typeof reduceAttrs>;

function reducedShape<T>(shape: readonly T[], axes: readonly number[], keepdims: boolean, one: T): T[] {
  const out: T[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(one);
  });
  return out;
}

type Kind = "sum" | "mean" | "max";

function reduceOp(kind: Kind, summary: string, onnxType: string, axesFromOpset: number): OpDef<ReduceAttrs> {
  const name = `reduce_${kind}`;
  return {
    name, summary, signature: `${name}(x, axes, keepdims = false)`, arity: 1, attrs: reduceAttrs, fusion: "reduction",
    infer([x], a) {
      if (kind === "mean") requireFloat(name, x!);
      else if (x!.dtype === "bool") throw new DTypeError(`[${name}] input must be numeric, got bool`);
      const axes = normAxes(name, a.axes, x!.rank);
      return new TensorType(x!.dtype, reducedShape<Dim>(x!.shape, axes, a.keepdims, 1));
    },
    reference([x], a, out) {
      const axes = normAxes(name, a.axes, x!.shape.length);
      const keep = reducedShape(x!.shape, axes, true, 1);
      // For each input element, its flat index in the keepdims result (stride 0 on reduced axes).
      const idx = broadcastIndex(x!.shape, keep);
      const d = x!.data;
      const r = new Float64Array(sizeOf(keep)).fill(kind === "max" ? -Infinity : 0);
      if (kind === "max") {
        for (let i = 0; i < d.length; i++) {
          const j = idx ? idx[i]! : i, v = d[i]!;
          // NaN propagates, as in torch.amax.
          if (v > r[j]! || Number.isNaN(v)) r[j] = v;
        }
      } else for (let i = 0; i < d.length; i++) r[idx ? idx[i]! : i]! += d[i]!;
      if (kind === "mean") {
        const count = sizeOf(axes.map((ax) => x!.shape[ax]!));
        for (let j = 0; j < r.length; j++) r[j] = r[j]! / count;
      }
      return nd(out.dtype, out.shape, r);
    },
    onnx(ctx, [x], a, t) {
      const axes = normAxes(name, a.axes, t.inputs[0]!.rank);
      const keepdims = a.keepdims ? 1 : 0;
      // Opset 18 moved `axes` from an attribute to an input for ReduceMean/ReduceMax (13 for ReduceSum).
      if (ctx.opset >= axesFromOpset) return ctx.node(onnxType, [x!, ctx.i64(axes)], { keepdims });
      return ctx.node(onnxType, [x!], { axes, keepdims });
    },
  };
}

export const reduce_sum = reduceOp("sum", "Sum over `axes` (keepdims optional). Integer sums stay integer.", "ReduceSum", 13);
export const reduce_mean = reduceOp("mean", "Arithmetic mean over `axes` (float dtypes).", "ReduceMean", 18);
export const reduce_max = reduceOp("max", "Maximum over `axes`; NaN propagates.", "ReduceMax", 18);

const argAttrs = z.object({ axis: z.number().int().default(-1), keepdims: z.boolean().default(false) }).strict();
type ArgAttrs = z.infer<typeof argAttrs>;

export const argmax: OpDef<ArgAttrs> = {
  name: "argmax",
  summary: "Index (i32) of the largest value along `axis`; the first one wins ties, a NaN counts as largest.",
  signature: "argmax(x, axis = -1, keepdims = false)",
  arity: 1, attrs: argAttrs, fusion: "reduction",
  infer([x], a) {
    if (x!.dtype === "bool") throw new DTypeError(`[argmax] input must be numeric, got bool`);
    const axis = normAxis("argmax", a.axis, x!.rank);
    if (x!.shape[axis] === 0) throw new ShapeError(`[argmax] axis ${a.axis} of ${x} is empty: no index to return`);
    return new TensorType("i32", reducedShape<Dim>(x!.shape, [axis], a.keepdims, 1));
  },
  reference([x], a, out): NDArray {
    const axis = normAxis("argmax", a.axis, x!.shape.length);
    const [outer, len, inner] = aroundAxis(x!.shape, axis);
    if (len === 0) throw new ShapeError(`[argmax] axis ${a.axis} has size 0 at run time`);
    const d = x!.data, r = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let best = 0, bv = d[base]!;
        for (let j = 1; j < len && !Number.isNaN(bv); j++) {
          const v = d[base + j * inner]!;
          if (v > bv || Number.isNaN(v)) { bv = v; best = j; }
        }
        r[o * inner + i] = best;
      }
    return nd(out.dtype, out.shape, r);
  },
  onnx(ctx: OnnxEmitter, [x], a) {
    const idx = ctx.node("ArgMax", [x!], { axis: a.axis, keepdims: a.keepdims ? 1 : 0, select_last_index: 0 });
    return ctx.node("Cast", [idx], { to: 6 });
  },
};
