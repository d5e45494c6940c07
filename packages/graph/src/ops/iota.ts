// iota: a tensor whose values are their index along one axis (positions, masks). It has no
// operands, so it is elementwise with an expression that reads the output index.

import { z } from "zod";
import { type DType, isDType } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { TensorType } from "../tensor-type.js";
import { Tensor } from "../tensor.js";
import { E } from "../plan/expr.js";
import { i64Dims, i64Scalar } from "./onnx-util.js";
import { ONNX_DTYPE } from "./elementwise.js";
import type { OpDef } from "./types.js";
import { aroundAxis, dimAttr, nd, normAxis, sizeOf } from "./util.js";

const iotaAttrs = z.object({
  shape: z.array(dimAttr), axis: z.number().int(), dtype: z.string().refine(isDType, "unknown dtype"),
}).strict();
type IotaAttrs = z.infer<typeof iotaAttrs>;

export const iota: OpDef<IotaAttrs> = {
  name: "iota",
  summary: "out[..., i, ...] = i, the index along `axis`, in a tensor of the given (possibly symbolic) shape.",
  signature: "iota(shape, axis, dtype = \"i32\")",
  arity: 0, attrs: iotaAttrs, fusion: "elementwise",
  infer(_ts, a) {
    if (a.dtype === "bool") throw new DTypeError(`[iota] dtype must be numeric, got bool`);
    if (a.shape.some((d) => typeof d === "number" && d < 0)) throw new ShapeError(`[iota] bad shape [${a.shape.join(", ")}]`);
    if (a.shape.length === 0) throw new ShapeError(`[iota] needs a shape of rank >= 1, got []`);
    normAxis("iota", a.axis, a.shape.length);
    return new TensorType(a.dtype as DType, a.shape);
  },
  reference(_xs, a, out) {
    const axis = normAxis("iota", a.axis, out.shape.length);
    const [outer, len, inner] = aroundAxis(out.shape, axis);
    const r = new Float64Array(sizeOf(out.shape));
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < len; j++) r.fill(j, (o * len + j) * inner, (o * len + j + 1) * inner);
    return nd(out.dtype, out.shape, r);
  },
  onnx(ctx, _xs, a) {
    const axis = normAxis("iota", a.axis, a.shape.length);
    const dt = a.dtype as DType;
    if (a.shape.every((d) => typeof d === "number")) {
      const shape = a.shape as number[];
      const r = iota.reference([], a, { dtype: dt, shape });
      return ctx.initializer(Tensor.fromFloat64(dt, shape, r.data));
    }
    // Range over the axis, reshaped to broadcast along it, then expanded to the full shape.
    const zero = ctx.scalar("i64", 0), one = ctx.scalar("i64", 1);
    const range = ctx.node("Range", [zero, i64Scalar(ctx, a.shape[axis]!), one]);
    const col = ctx.node("Reshape", [range, ctx.i64(a.shape.map((_, i) => (i === axis ? -1 : 1)))]);
    const full = ctx.node("Expand", [col, i64Dims(ctx, a.shape)]);
    return ctx.node("Cast", [full], { to: ONNX_DTYPE[dt] });
  },
  expr: (_args, a, t) => E.cast(E.index(normAxis("iota", a.axis, t.output.rank)), a.dtype as DType),
};

