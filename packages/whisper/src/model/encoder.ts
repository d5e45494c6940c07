// The Whisper audio encoder as one graph: mel [batch, n_mels, 2·n_audio_ctx] -> [batch,
// n_audio_ctx, d]. Weights are named (OpenAI names) and bound at compile time, so one graph
// serves every checkpoint of the same size.

import { Graph, TensorType, type Value, ops } from "@max-whisper/graph";
import type { WhisperDims } from "./dims.js";
import { Weights, attention, layerNorm, linear, mlp } from "./layers.js";
import type { WeightDType } from "./params.js";

export interface BuildOptions {
  /** Storage dtype of the matrices (default f32); compute is f32. */
  wdtype?: WeightDType;
  /**
   * Storage dtype of the cross-attention K/V that buildCrossKV returns and buildDecoder takes
   * (default f32). f16 halves what every decoder step reads from them (on cpu, the attention
   * kernel widens them in registers); the decoder computes in f32 either way.
   */
  crossDtype?: "f32" | "f16";
}

/** Pre-norm residual self-attention block of the encoder. */
function encoderBlock(w: Weights, x: Value, i: number, d: number, heads: number, hidden: number): Value {
  const p = `encoder.blocks.${i}`;
  const h = layerNorm(w, x, `${p}.attn_ln`, d);
  const q = linear(w, h, `${p}.attn.query`, d, d);
  const k = linear(w, h, `${p}.attn.key`, d, d, false);
  const v = linear(w, h, `${p}.attn.value`, d, d);
  const a = linear(w, attention(q, k, v, heads).out, `${p}.attn.out`, d, d);
  x = ops.add(x, a);
  return ops.add(x, mlp(w, layerNorm(w, x, `${p}.mlp_ln`, d), p, d, hidden));
}

export function buildEncoder(dims: WhisperDims, opts: BuildOptions = {}): Graph {
  const d = dims.nAudioState, frames = 2 * dims.nAudioCtx;
  const g = new Graph("whisper_encoder", [new TensorType("f32", ["batch", dims.nMels, frames])]);
  return g.build(() => {
    const w = new Weights(g, opts.wdtype ?? "f32");
    const mel = g.inputs[0]!;
    let x = ops.conv1d(mel, w.get("encoder.conv1.weight", [d, dims.nMels, 3]), w.get("encoder.conv1.bias", [d]), { stride: 1, padding: 1 });
    x = ops.gelu(x, "none");
    x = ops.conv1d(x, w.get("encoder.conv2.weight", [d, d, 3]), w.get("encoder.conv2.bias", [d]), { stride: 2, padding: 1 });
    x = ops.gelu(x, "none");
    // [B, d, T] -> [B, T, d], then the sinusoid positions (a weight: files carry the table).
    x = ops.add(ops.permute(x, [0, 2, 1]), w.get("encoder.positional_embedding", [dims.nAudioCtx, d]));
    for (let i = 0; i < dims.nAudioLayer; i++) x = encoderBlock(w, x, i, d, dims.nAudioHead, dims.nAudioMlp ?? 4 * d);
    g.output(layerNorm(w, x, "encoder.ln_post", d));
    return g;
  });
}
