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
    // Each distinct B matrix is transposed once; only broadcast batches share one.
    const bts = new Map<number, Float64Array>();
    for (let t = 0; t < nb; t++) {
      const bo = (ib ? ib[t]! : t) * k * n;
      if (m < ROWS_MAX_M) {
        gemmRows(a!.data, (ia ? ia[t]! : t) * m * k, b!.data, bo, r, t * m * n, m, k, n);
        continue;
      }
      let bt = bts.get(bo);
      if (!bt) {
        bt = transposeBlock(b!.data, bo, k, n);
        if (ib) bts.set(bo, bt);
      }
      gemmBt(a!.data, (ia ? ia[t]! : t) * m * k, bt, r, t * m * n, m, k, n);
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [a, b]) => ctx.node("MatMul", [a!, b!]),
};

/**
 * Below this many rows of A, gemmRows beats transposing B for gemmBt: ~7x on a decoder step's
 * logits (m = 1, k = 64, n = 51864), where the transpose alone costs more than the products.
 */
const ROWS_MAX_M = 16;

/**
 * r[ro + i·n + j] = Σ_p A[ao + i·k + p] · B[bo + p·n + j] with B read in place, four rows of it
 * per pass over r. Each output starts at 0 (r is fresh) and the expression adds the products left
 * to right, p in order: the same float64 sums as gemmBt, bit for bit.
 */
function gemmRows(A: Float64Array, ao: number, B: Float64Array, bo: number, r: Float64Array, ro: number, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const a = ao + i * k, o = ro + i * n;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x0 = A[a + p]!, x1 = A[a + p + 1]!, x2 = A[a + p + 2]!, x3 = A[a + p + 3]!;
      const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let j = 0; j < n; j++) r[o + j] = r[o + j]! + x0 * B[b0 + j]! + x1 * B[b1 + j]! + x2 * B[b2 + j]! + x3 * B[b3 + j]!;
    }
    for (; p < k; p++) {
      const x = A[a + p]!, b = bo + p * n;
      for (let j = 0; j < n; j++) r[o + j]! += x * B[b + j]!;
    }
  }
}

function transposeBlock(src: Float64Array, off: number, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let p = 0; p < rows; p++) for (let j = 0; j < cols; j++) t[j * rows + p] = src[off + p * cols + j]!;
  return t;
}

/**
 * r[ro + i·n + j] = Σ_p A[ao + i·k + p] · Bt[j·k + p], summing p in order. A 2x4 register tile of
 * dot products over contiguous rows is ~3x faster in V8 than the i-k-j loop, which keeps the
 * interpreter's 1500-frame attention block in seconds. Edge tiles reuse a valid row and drop it.
 */
function gemmBt(A: Float64Array, ao: number, Bt: Float64Array, r: Float64Array, ro: number, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i += 2) {
    const two = i + 1 < m;
    const a0 = ao + i * k, a1 = two ? a0 + k : a0;
    for (let j = 0; j < n; j += 4) {
      const nj = Math.min(4, n - j);
      const b0 = j * k, b1 = nj > 1 ? b0 + k : b0, b2 = nj > 2 ? b0 + 2 * k : b0, b3 = nj > 3 ? b0 + 3 * k : b0;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!, x1 = A[a1 + p]!;
        const y0 = Bt[b0 + p]!, y1 = Bt[b1 + p]!, y2 = Bt[b2 + p]!, y3 = Bt[b3 + p]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      const o0 = ro + i * n + j;
      r[o0] = s00;
      if (nj > 1) r[o0 + 1] = s01;
      if (nj > 2) r[o0 + 2] = s02;
      if (nj > 3) r[o0 + 3] = s03;
      if (two) {
        const o1 = o0 + n;
        r[o1] = s10;
        if (nj > 1) r[o1 + 1] = s11;
        if (nj > 2) r[o1 + 2] = s12;
        if (nj > 3) r[o1 + 3] = s13;
      }
    }
  }
}
