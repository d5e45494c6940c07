// Independent float64 references for the library kernels, written from the definitions (not
// from the kernels), plus seeded random data and the tolerance check used by the suites.

import { type DType, Tensor, DTYPE_EPS } from "@max-whisper/graph";
export { randomTensor } from "@max-whisper/graph";

export interface Strided {
  data: Float64Array;
  offset?: number;
}

/** C[b,i,j] = sum_k A[b,i,k]·B[b,k,j] with explicit strides (elements). */
export function refGemm(
  A: Float64Array, B: Float64Array, batch: number, m: number, n: number, k: number,
  as: [number, number, number], bs: [number, number, number],
): Float64Array {
  const C = new Float64Array(batch * m * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[b * as[0] + i * as[1] + p * as[2]]! * B[b * bs[0] + p * bs[1] + j * bs[2]]!;
        C[(b * m + i) * n + j] = s;
      }
  return C;
}

/** softmax(scale·QKᵀ + mask)·V on contiguous [B, H, L, D] tensors; causal sees j <= i + lk - lq. */
export function refAttention(
  Q: Float64Array, K: Float64Array, V: Float64Array, B: number, H: number, lq: number, lk: number, d: number,
  scale: number, causal: boolean, mask?: Float64Array,
): Float64Array {
  const O = new Float64Array(B * H * lq * d);
  const s = new Float64Array(lk);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < lq; i++) {
        let mx = -Infinity;
        for (let j = 0; j < lk; j++) {
          if (causal && j > i + lk - lq) { s[j] = -Infinity; continue; }
          let dot = 0;
          for (let x = 0; x < d; x++) dot += Q[((b * H + h) * lq + i) * d + x]! * K[((b * H + h) * lk + j) * d + x]!;
          s[j] = dot * scale + (mask ? mask[((b * H + h) * lq + i) * lk + j]! : 0);
          mx = Math.max(mx, s[j]!);
        }
        let sum = 0;
        for (let j = 0; j < lk; j++) { s[j] = Math.exp(s[j]! - mx); sum += s[j]!; }
        for (let x = 0; x < d; x++) {
          let acc = 0;
          for (let j = 0; j < lk; j++) acc += s[j]! * V[((b * H + h) * lk + j) * d + x]!;
          O[((b * H + h) * lq + i) * d + x] = acc / sum;
        }
      }
  return O;
}

export function refLayerNorm(X: Float64Array, g: Float64Array, bt: Float64Array, rows: number, n: number, eps: number): Float64Array {
  const Y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X[r * n + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[r * n + i]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / n + eps);
    for (let i = 0; i < n; i++) Y[r * n + i] = (X[r * n + i]! - mean) * rstd * g[i]! + bt[i]!;
  }
  return Y;
}

export function refSoftmax(X: Float64Array, rows: number, n: number, log: boolean): Float64Array {
  const Y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let i = 0; i < n; i++) mx = Math.max(mx, X[r * n + i]!);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(X[r * n + i]! - mx);
    for (let i = 0; i < n; i++) Y[r * n + i] = log ? X[r * n + i]! - mx - Math.log(sum) : Math.exp(X[r * n + i]! - mx) / sum;
  }
  return Y;
}

export function refConv1d(
  X: Float64Array, W: Float64Array, bias: Float64Array, B: number, cin: number, cout: number, lin: number,
  ks: number, stride: number, pad: number, dil: number,
): { y: Float64Array; lout: number } {
  const lout = Math.floor((lin + 2 * pad - dil * (ks - 1) - 1) / stride) + 1;
  const y = new Float64Array(B * cout * lout);
  for (let b = 0; b < B; b++)
    for (let co = 0; co < cout; co++)
      for (let t = 0; t < lout; t++) {
        let s = bias[co]!;
        for (let ci = 0; ci < cin; ci++)
          for (let k = 0; k < ks; k++) {
            const p = t * stride - pad + k * dil;
            if (p >= 0 && p < lin) s += W[(co * cin + ci) * ks + k]! * X[(b * cin + ci) * lin + p]!;
          }
        y[(b * cout + co) * lout + t] = s;
      }
  return { y, lout };
}

export interface Compare {
  ok: boolean;
  maxAbsErr: number;
  worst: string;
}

/**
 * |got - want| <= atol + rtol·|want| everywhere (rtol defaults to a few ulps of the dtype).
 * On failure `worst` names the first mismatching indices.
 */
export function compare(got: ArrayLike<number>, want: ArrayLike<number>, dtype: DType, atol: number, rtol = 8 * DTYPE_EPS[dtype]): Compare {
  let maxAbsErr = 0;
  const bad: string[] = [];
  if (got.length !== want.length) return { ok: false, maxAbsErr: Infinity, worst: `length ${got.length} vs ${want.length}` };
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    const err = Math.abs(g - w);
    if (!(err <= atol + rtol * Math.abs(w))) {
      if (bad.length < 5) bad.push(`[${i}] got ${g} want ${w}`);
      maxAbsErr = Math.max(maxAbsErr, Number.isNaN(err) ? Infinity : err);
    } else maxAbsErr = Math.max(maxAbsErr, err);
  }
  return { ok: bad.length === 0, maxAbsErr, worst: bad.join("; ") };
}
