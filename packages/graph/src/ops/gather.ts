// gather: pick slices of `input` along one axis by an integer index tensor of any rank
// (embedding lookup is gather on axis 0). An opaque kernel for the backends.

import { z } from "zod";
import { DTypeError, ShapeError } from "../errors.js";
import type { OpDef } from "./types.js";
import { nd, normAxis, sizeOf } from "./util.js";

const gatherAttrs = z.object({ axis: z.number().int().default(0) }).strict();

export const gather: OpDef<z.infer<typeof gatherAttrs>> = {
  name: "gather",
  summary: "out = input.shape[:axis] + indices.shape + input.shape[axis+1:]; indices i32/i64, negative ones count from the end.",
  signature: "gather(input, indices, axis = 0)",
  arity: 2, attrs: gatherAttrs, fusion: "opaque",
  infer([x, idx], a) {
    if (idx!.dtype !== "i32" && idx!.dtype !== "i64")
      throw new DTypeError(`[gather] indices must be i32 or i64, got ${idx!.dtype}`);
    if (x!.rank === 0) throw new ShapeError(`[gather] input must have rank >= 1, got ${x}`);
    const axis = normAxis("gather", a.axis, x!.rank);
    return x!.withShape([...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)]);
  },
  reference([x, idx], a, out) {
    const axis = normAxis("gather", a.axis, x!.shape.length);
    const outer = sizeOf(x!.shape.slice(0, axis)), len = x!.shape[axis]!, inner = sizeOf(x!.shape.slice(axis + 1));
    const I = idx!.data, n = I.length, X = x!.data;
    const r = new Float64Array(outer * n * inner);
    for (let t = 0; t < n; t++) {
      const v = I[t]!;
      if (!(v >= -len && v < len))
        throw new ShapeError(`[gather] index ${v} (at flat position ${t} of indices [${idx!.shape.join(", ")}]) out of range for axis ${axis} of size ${len}`);
    }
    for (let o = 0; o < outer; o++)
      for (let t = 0; t < n; t++) {
        const k = I[t]! < 0 ? I[t]! + len : I[t]!;
        const src = (o * len + k) * inner;
        r.set(X.subarray(src, src + inner), (o * n + t) * inner);
      }
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [x, idx], a) => ctx.node("Gather", [x!, idx!], { axis: a.axis }),
};
