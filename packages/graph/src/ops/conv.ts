// conv1d: 1-D cross-correlation (PyTorch's Conv1d) with stride, zero padding, dilation and
// groups. An opaque library kernel for the backends (im2col + GEMM or direct).

import { z } from "zod";
import { type Dim, dimAdd, dimEq } from "../dim.js";
import { ShapeError } from "../errors.js";
import { TensorType } from "../tensor-type.js";
import type { OpDef } from "./types.js";
import { dimFloorDiv, nd, requireFloat, sameDType } from "./util.js";

const pos = z.number().int().positive();
const convAttrs = z.object({
  stride: pos.default(1),
  /** Zero padding: one number for both ends, or [left, right]. */
  padding: z.union([z.number().int().nonnegative(), z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])]).default(0),
  dilation: pos.default(1),
  groups: pos.default(1),
}).strict();
type ConvAttrs = z.infer<typeof convAttrs>;

function pads(a: ConvAttrs): [number, number] {
  return typeof a.padding === "number" ? [a.padding, a.padding] : a.padding;
}

export const conv1d: OpDef<ConvAttrs> = {
  name: "conv1d",
  summary: "x [N, C_in, L] ⋆ weight [C_out, C_in/groups, K] (+ bias [C_out]) → [N, C_out, L_out], PyTorch Conv1d semantics.",
  signature: "conv1d(x, weight, bias?, {stride, padding, dilation, groups})",
  arity: [2, 3], attrs: convAttrs, fusion: "opaque",
  infer(ts, a) {
    const [x, w, b] = ts;
    requireFloat("conv1d", x!);
    sameDType("conv1d", ts);
    if (x!.rank !== 3) throw new ShapeError(`[conv1d] input must be [N, C_in, L], got ${x}`);
    if (w!.rank !== 3) throw new ShapeError(`[conv1d] weight must be [C_out, C_in/groups, K], got ${w}`);
    const [n, cin, len] = x!.shape as [Dim, Dim, Dim];
    const [cout, cpg, k] = w!.shape as [Dim, Dim, Dim];
    if (typeof cin !== "number" || typeof cout !== "number" || typeof k !== "number")
      throw new ShapeError(`[conv1d] channels and kernel size must be static, got input ${x} and weight ${w}`);
    const g = a.groups;
    if (cin % g !== 0 || cout % g !== 0)
      throw new ShapeError(`[conv1d] groups=${g} must divide C_in=${cin} and C_out=${cout}`);
    if (!dimEq(cpg, cin / g))
      throw new ShapeError(`[conv1d] weight ${w} must have C_in/groups = ${cin / g} on axis 1 for input ${x} with groups=${g}, got ${cpg}`);
    if (b && (b.rank !== 1 || !dimEq(b.shape[0]!, cout)))
      throw new ShapeError(`[conv1d] bias must have shape [${cout}], got ${b}`);
    const [pl, pr] = pads(a);
    // L_out = floor((L + pl + pr - dilation·(K-1) - 1) / stride) + 1
    const span = dimAdd(len, pl + pr - a.dilation * (k - 1) - 1);
    const q = dimFloorDiv(span, a.stride);
    if (q === undefined)
      throw new ShapeError(`[conv1d] output length floor((${span}) / ${a.stride}) + 1 is not a whole symbolic dim for input ${x}`);
    const lout = dimAdd(q, 1);
    if (typeof lout === "number" && lout < 1)
      throw new ShapeError(`[conv1d] input length ${len} is too short for kernel ${k} (dilation ${a.dilation}, padding ${pl}+${pr}): output length ${lout}`);
    return new TensorType(x!.dtype, [n, cout, lout]);
  },
  reference([x, w, b], a, out) {
    const [N, Cin, L] = x!.shape as [number, number, number];
    const [Cout, Cpg, K] = w!.shape as [number, number, number];
    const Lout = out.shape[2]!;
    const [pl] = pads(a);
    const { stride: s, dilation: dil, groups: G } = a;
    const opg = Cout / G;
    const X = x!.data, W = w!.data, r = new Float64Array(N * Cout * Lout);
    for (let n = 0; n < N; n++)
      for (let oc = 0; oc < Cout; oc++) {
        const ro = (n * Cout + oc) * Lout;
        if (b) r.fill(b.data[oc]!, ro, ro + Lout);
        const g = Math.floor(oc / opg);
        for (let ic = 0; ic < Cpg; ic++) {
          const xo = (n * Cin + g * Cpg + ic) * L;
          for (let kk = 0; kk < K; kk++) {
            const wv = W[(oc * Cpg + ic) * K + kk]!;
            // Input position of output t is t·s - pl + kk·dil; keep only t with it inside [0, L).
            const off = kk * dil - pl;
            const t0 = Math.max(0, Math.ceil(-off / s)), t1 = Math.min(Lout, Math.floor((L - 1 - off) / s) + 1);
            for (let t = t0, p = xo + t0 * s + off; t < t1; t++, p += s) r[ro + t]! += wv * X[p]!;
          }
        }
      }
    return nd(out.dtype, out.shape, r);
  },
  onnx(ctx, ins, a, t) {
    const k = t.inputs[1]!.shape[2] as number;
    return ctx.node("Conv", ins, {
      kernel_shape: [k], strides: [a.stride], pads: pads(a), dilations: [a.dilation], group: a.groups,
    });
  },
};
