// matmul: batched matrix product with NumPy semantics (1-D operands promoted, batch dims
// broadcast). The contraction class: backends run it as GEMM with a fused epilogue.

import { TensorType } from "../tensor-type.js";
import { type Dim, dimEq } from "../dim.js";
import { ShapeError } from "../errors.js";
import type { OpDef } from "./types.js";
import { broadcastIndex, broadcastShapes, noAttrs, nd, requireFloat, sameDType, sizeOf } from "./util.js";

export const matmul: OpDef<Record<string, never>> = {
  name: "matmul",
  summary: "Matrix product over the last two axes; leading axes broadcast. 1-D operands act as a row / column vector.",
  signature: "matmul(a, b)",
  arity: 2, attrs: noAttrs, fusion: "contraction",
  infer([a, b]) {
    const dt = sameDType("matmul", [a!, b!]);
    requireFloat("matmul", a!);
    if (a!.rank === 0 || b!.rank === 0) throw new ShapeError(`[matmul] operands must have rank >= 1, got ${a} and ${b}`);
    const as = a!.rank === 1 ? [1, a!.shape[0]!] : a!.shape;
    const bs = b!.rank === 1 ? [b!.shape[0]!, 1] : b!.shape;
    const k1 = as[as.length - 1]!, k2 = bs[bs.length - 2]!;
    if (!dimEq(k1, k2))
      throw new ShapeError(`[matmul] contraction dims differ: ${a} · ${b} (${k1} vs ${k2})`);
    const batch = broadcastShapes("matmul", [as.slice(0, -2), bs.slice(0, -2)]);
    const out: Dim[] = [...batch];
    if (a!.rank > 1) out.push(as[as.length - 2]!);
    if (b!.rank > 1) out.push(bs[bs.length - 1]!);
    return new TensorType(dt, out);
  },
  reference([a, b], _attrs, out) {
    const ash = a!.shape.length === 1 ? [1, a!.shape[0]!] : a!.shape;
    const bsh = b!.shape.length === 1 ? [b!.shape[0]!, 1] : b!.shape;
    const m = ash[ash.length - 2]!, k = ash[ash.length - 1]!, n = bsh[bsh.length - 1]!;
    const batch = broadcastShapes("matmul", [ash.slice(0, -2), bsh.slice(0, -2)]) as number[];
    const nb = sizeOf(batch);
    const ia = broadcastIndex(batch, ash.slice(0, -2)), ib = broadcastIndex(batch, bsh.slice(0, -2));
    const r = new Float64Array(nb * m * n);
    const A = a!.data, B = b!.data;
    for (let t = 0; t < nb; t++) {
      const ao = (ia ? ia[t]! : t) * m * k, bo = (ib ? ib[t]! : t) * k * n, ro = t * m * n;
      // i-k-j order keeps the inner loop contiguous over B and the result.
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++) {
          const av = A[ao + i * k + p]!;
          const bRow = bo + p * n, rRow = ro + i * n;
          for (let j = 0; j < n; j++) r[rRow + j]! += av * B[bRow + j]!;
        }
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [a, b]) => ctx.node("MatMul", [a!, b!]),
};
