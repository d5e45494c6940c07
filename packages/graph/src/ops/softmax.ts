// softmax and log_softmax along one axis: reductions with their prologue and epilogue built
// in, so a backend emits each as one kernel.

import { z } from "zod";
import type { OpDef } from "./types.js";
import { aroundAxis, nd, normAxis, requireFloat } from "./util.js";

const axisAttrs = z.object({ axis: z.number().int().default(-1) }).strict();
type AxisAttrs = z.infer<typeof axisAttrs>;

function softmaxLike(name: "softmax" | "log_softmax", summary: string): OpDef<AxisAttrs> {
  return {
    name, summary, signature: `${name}(x, axis = -1)`, arity: 1, attrs: axisAttrs, fusion: "reduction",
    infer([x], a) {
      requireFloat(name, x!);
      normAxis(name, a.axis, x!.rank);
      return x!;
    },
    reference([x], a, out) {
      const axis = normAxis(name, a.axis, x!.shape.length);
      const [outer, len, inner] = aroundAxis(x!.shape, axis);
      const d = x!.data, r = new Float64Array(d.length);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          let m = -Infinity;
          for (let j = 0; j < len; j++) m = Math.max(m, d[base + j * inner]!);
          // exp is computed once per element: it dominates the interpreter's attention time.
          let s = 0;
          for (let j = 0; j < len; j++) {
            const e = Math.exp(d[base + j * inner]! - m);
            r[base + j * inner] = e;
            s += e;
          }
          if (name === "softmax") for (let j = 0; j < len; j++) r[base + j * inner]! /= s;
          else {
            const ls = Math.log(s);
            for (let j = 0; j < len; j++) r[base + j * inner] = d[base + j * inner]! - m - ls;
          }
        }
      return nd(out.dtype, out.shape, r);
    },
    onnx: (ctx, [x], a) => ctx.node(name === "softmax" ? "Softmax" : "LogSoftmax", [x!], { axis: a.axis }),
  };
}

export const softmax = softmaxLike("softmax", "exp(x - max) / sum(exp(x - max)) along an axis (default last).");
export const log_softmax = softmaxLike("log_softmax", "x - max - log(sum(exp(x - max))) along an axis.");
