// Helpers for op entries that emit ONNX index tensors (shapes, starts, ends) that may mention
// symbolic dims. Uses only the OnnxEmitter interface.

import type { Dim } from "../dim.js";
import type { OnnxEmitter } from "../onnx/emitter.js";

/**
 * A 1-D int64 tensor holding `dims`: one initializer when all are numbers, else a Concat of
 * literal runs and `ctx.dimValue` pieces for the symbolic ones.
 */
export function i64Dims(ctx: OnnxEmitter, dims: readonly Dim[]): string {
  if (dims.every((d) => typeof d === "number")) return ctx.i64(dims as number[]);
  const parts: string[] = [];
  let run: number[] = [];
  for (const d of dims) {
    if (typeof d === "number") run.push(d);
    else {
      if (run.length) parts.push(ctx.i64(run));
      run = [];
      parts.push(ctx.dimValue(d));
    }
  }
  if (run.length) parts.push(ctx.i64(run));
  return parts.length === 1 ? parts[0]! : ctx.node("Concat", parts, { axis: 0 });
}

/** A 0-d int64 tensor holding one dim (Range and similar ops want scalars). */
export function i64Scalar(ctx: OnnxEmitter, d: Dim): string {
  return ctx.node("Reshape", [i64Dims(ctx, [d]), ctx.i64([])]);
}
