// Normalisations over the last axis: layer_norm (mean and biased variance, then affine) and
// rms_norm (root mean square, then scale). Each is one reduction kernel with its epilogue.

import { z } from "zod";
import { dimEq } from "../dim.js";
import { ShapeError } from "../errors.js";
import type { TensorType } from "../tensor-type.js";
import type { OpDef } from "./types.js";
import { nd, requireFloat, sameDType } from "./util.js";

const epsAttrs = z.object({ epsilon: z.number().nonnegative() }).strict();
type EpsAttrs = z.infer<typeof epsAttrs>;

/** Check x (rank >= 1) and its per-feature parameters ([D] each, D = x's last dim). */
function checkParams(op: string, x: TensorType, params: readonly [string, TensorType][]): void {
  requireFloat(op, x);
  sameDType(op, [x, ...params.map(([, t]) => t)]);
  if (x.rank < 1) throw new ShapeError(`[${op}] input must have rank >= 1, got ${x}`);
  const d = x.shape[x.rank - 1]!;
  for (const [what, t] of params)
    if (t.rank !== 1 || !dimEq(t.shape[0]!, d))
      throw new ShapeError(`[${op}] ${what} must have shape [${d}] (the last dim of the input ${x}), got ${t}`);
}

export const layer_norm: OpDef<EpsAttrs> = {
  name: "layer_norm",
  summary: "(x - mean) / sqrt(var + epsilon) · gamma + beta over the last axis (biased variance).",
  signature: "layer_norm(x, gamma, beta, epsilon = 1e-5)",
  arity: 3, attrs: epsAttrs, fusion: "reduction",
  infer([x, g, b]) {
    checkParams("layer_norm", x!, [["gamma", g!], ["beta", b!]]);
    return x!;
  },
  reference([x, g, b], a, out) {
    const d = x!.shape[x!.shape.length - 1]!;
    const X = x!.data, G = g!.data, B = b!.data, r = new Float64Array(X.length);
    for (let o = 0; o < X.length; o += d) {
      let mean = 0;
      for (let j = 0; j < d; j++) mean += X[o + j]!;
      mean /= d;
      // Two passes: the variance of centred values does not cancel catastrophically.
      let v = 0;
      for (let j = 0; j < d; j++) v += (X[o + j]! - mean) ** 2;
      const inv = 1 / Math.sqrt(v / d + a.epsilon);
      for (let j = 0; j < d; j++) r[o + j] = (X[o + j]! - mean) * inv * G[j]! + B[j]!;
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [x, g, b], a) => ctx.node("LayerNormalization", [x!, g!, b!], { axis: -1, epsilon: { float: a.epsilon } }),
};

export const rms_norm: OpDef<EpsAttrs> = {
  name: "rms_norm",
  summary: "x / sqrt(mean(x²) + epsilon) · gamma over the last axis.",
  signature: "rms_norm(x, gamma, epsilon = 1e-6)",
  arity: 2, attrs: epsAttrs, fusion: "reduction",
  infer([x, g]) {
    checkParams("rms_norm", x!, [["gamma", g!]]);
    return x!;
  },
  reference([x, g], a, out) {
    const d = x!.shape[x!.shape.length - 1]!;
    const X = x!.data, G = g!.data, r = new Float64Array(X.length);
    for (let o = 0; o < X.length; o += d) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += X[o + j]! ** 2;
      const inv = 1 / Math.sqrt(ss / d + a.epsilon);
      for (let j = 0; j < d; j++) r[o + j] = X[o + j]! * inv * G[j]!;
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx(ctx, [x, g], a, t) {
    // RMSNormalization is opset 23; compose it from opset-17 ops instead.
    const dt = t.output.dtype;
    const sq = ctx.node("Mul", [x!, x!]);
    const ms = ctx.opset >= 18
      ? ctx.node("ReduceMean", [sq, ctx.i64([-1])], { keepdims: 1 })
      : ctx.node("ReduceMean", [sq], { axes: [-1], keepdims: 1 });
    const rms = ctx.node("Sqrt", [ctx.node("Add", [ms, ctx.scalar(dt, a.epsilon)])]);
    return ctx.node("Mul", [ctx.node("Div", [x!, rms]), g!]);
  },
};
