// Building blocks shared by the encoder and decoder graphs: named weights, linear layers over
// [out, in] checkpoint matrices, layer norm, multi-head attention and the MLP. Built only from
// public `ops`; each helper declares the weights it reads with OpenAI canonical names.

import { type Dim, type Graph, TensorType, type Value, ops } from "@max-whisper/graph";
import { type WeightDType, storageDType } from "./params.js";

export const LN_EPS = 1e-5;

/** Weight declarations for one graph: one storage dtype for matrices, f32 compute. */
export class Weights {
  constructor(readonly g: Graph, readonly wdtype: WeightDType) {}

  /** The named weight as an f32 value (reduced-precision storage is cast in the graph). */
  get(name: string, shape: readonly Dim[]): Value {
    const w = this.stored(name, shape);
    return w.dtype === "f32" ? w : ops.cast(w, "f32");
  }

  /** The named weight in its storage dtype (gather rows first, then cast only those). */
  stored(name: string, shape: readonly Dim[]): Value {
    return this.g.weight(name, new TensorType(storageDType(name, this.wdtype), shape));
  }
}

/**
 * y = x · Wᵀ (+ b) with W as stored, [out, in]. The transpose is a view: the cpu GEMM reads a
 * transposed operand through its strides. Measured against pre-transposed [in, out] weights on
 * the cpu backend (m = 1 and 1500, k = 384, n = 384..51864) the two were equal within noise, so
 * nothing is copied at load time, and the tied embedding serves both gather and logits.
 */
export function linear(w: Weights, x: Value, prefix: string, din: number, dout: number, bias = true): Value {
  const W = w.get(`${prefix}.weight`, [dout, din]);
  const y = ops.matmul(x, ops.transpose(W, 0, 1));
  return bias ? ops.add(y, w.get(`${prefix}.bias`, [dout])) : y;
}

export function layerNorm(w: Weights, x: Value, prefix: string, d: number): Value {
  return ops.layer_norm(x, w.get(`${prefix}.weight`, [d]), w.get(`${prefix}.bias`, [d]), LN_EPS);
}

/** Pre-norm MLP: fc2(gelu(fc1(x))) with exact GELU, as model.py's nn.GELU(). */
export function mlp(w: Weights, x: Value, prefix: string, d: number, hidden: number): Value {
  const h = ops.gelu(linear(w, x, `${prefix}.mlp.0`, d, hidden), "none");
  return linear(w, h, `${prefix}.mlp.2`, hidden, d);
}

/** [B, T, d] -> [B, H, T, d/H]. */
export function splitHeads(x: Value, heads: number): Value {
  const [b, t, d] = x.shape as [Dim, Dim, number];
  return ops.permute(ops.reshape(x, [b, t, heads, d / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, hd] -> [B, T, H·hd]. */
export function mergeHeads(x: Value): Value {
  const [b, h, t, hd] = x.shape as [Dim, number, Dim, number];
  return ops.reshape(ops.permute(x, [0, 2, 1, 3]), [b, t, h * hd]);
}

export interface AttentionOptions {
  /** Queries see keys j <= i + (Lk - Lq): a causal mask that also works over a kv-cache. */
  causal?: boolean;
  /** Also return the scaled scores q·kᵀ/sqrt(hd) before the mask and softmax, [B, H, Lq, Lk]. */
  withScores?: boolean;
}

/**
 * softmax(q kᵀ / sqrt(hd)) v over heads. q [B, Lq, d], k and v [B, Lk, d]; returns [B, Lq, d]
 * before the output projection. model.py scales q and k by hd^-0.25 each; one 1/sqrt(hd) is the
 * same product to float rounding.
 */
export function attention(q: Value, k: Value, v: Value, heads: number, opts: AttentionOptions = {}): { out: Value; scores?: Value } {
  const qh = splitHeads(q, heads), kh = splitHeads(k, heads), vh = splitHeads(v, heads);
  const hd = (q.shape[2] as number) / heads;
  const scale = 1 / Math.sqrt(hd);
  if (!opts.withScores) {
    const o = ops.scaled_dot_product_attention(qh, kh, vh, { scale, causal: opts.causal ?? false });
    return { out: mergeHeads(o) };
  }
  const scores = ops.mul(ops.matmul(qh, ops.transpose(kh, 2, 3)), scale);
  const masked = opts.causal ? ops.add(scores, ops.causal_mask(qh.shape[2]!, kh.shape[2]!, "f32", q.graph)) : scores;
  return { out: mergeHeads(ops.matmul(ops.softmax(masked, -1), vh)), scores };
}
