// The Whisper text decoder as graphs: cross-attention K/V from the encoder output (once per
// window), and the decoder pass over new tokens with a self-attention kv-cache of symbolic
// length. Variants: with or without a cache, last-position or all logits, and one that also
// returns the alignment heads' cross-attention weights (word timestamps only).

import { type Dim, Graph, TensorType, type Value, ops } from "@max-whisper/graph";
import type { AlignmentHead, WhisperDims } from "./dims.js";
import { Weights, attention, layerNorm, linear, mlp } from "./layers.js";
import type { BuildOptions } from "./encoder.js";

/** enc [batch, n_audio_ctx, d] -> per layer cross K then V, each [batch, n_audio_ctx, d] (opts.crossDtype). */
export function buildCrossKV(dims: WhisperDims, opts: BuildOptions = {}): Graph {
  const d = dims.nTextState, da = dims.nAudioState;
  const g = new Graph("whisper_cross_kv", [new TensorType("f32", ["batch", dims.nAudioCtx, da])]);
  return g.build(() => {
    const w = new Weights(g, opts.wdtype ?? "f32");
    const enc = g.inputs[0]!;
    const outs: Value[] = [];
    for (let i = 0; i < dims.nTextLayer; i++) {
      const p = `decoder.blocks.${i}.cross_attn`;
      outs.push(linear(w, enc, `${p}.key`, da, d, false), linear(w, enc, `${p}.value`, da, d));
    }
    const dt = opts.crossDtype ?? "f32";
    g.output(...outs.map((o) => (dt === "f32" ? o : ops.cast(o, dt))));
    return g;
  });
}

export interface DecoderVariant {
  /** Take past self K/V [batch, past, d] per layer as inputs (false: the first pass, past = 0). */
  cache: boolean;
  /** Logits of the last position only ([batch, 1, n_vocab]) instead of every position. */
  lastOnly: boolean;
  /**
   * Also output these heads' cross-attention scores (q·kᵀ/sqrt(hd), before softmax), [batch,
   * heads, n, n_audio_ctx]: what openai-whisper's timing.py records, since it takes the softmax
   * over only the frames that hold audio.
   */
  alignmentHeads?: readonly AlignmentHead[];
}

/**
 * Inputs, in order: tokens i32 [batch, n]; when `cache`, self K and V [batch, past, d] for each
 * layer (K0, V0, K1, V1, …); cross K and V [batch, n_audio_ctx, d] (opts.crossDtype) for each
 * layer likewise.
 * Outputs: logits, then the new self K and V [batch, past+n, d] per layer, then (alignment
 * variant) the alignment scores.
 */
export function buildDecoder(dims: WhisperDims, variant: DecoderVariant, opts: BuildOptions = {}): Graph {
  const d = dims.nTextState, L = dims.nTextLayer, S = dims.nAudioCtx;
  const past: Dim = variant.cache ? "past" : 0;
  const crossDt = opts.crossDtype ?? "f32";
  const kvType = (len: Dim, dt: "f32" | "f16" = "f32") => new TensorType(dt, ["batch", len, d]);
  const types: TensorType[] = [new TensorType("i32", ["batch", "n"])];
  if (variant.cache) for (let i = 0; i < 2 * L; i++) types.push(kvType("past"));
  for (let i = 0; i < 2 * L; i++) types.push(kvType(S, crossDt));
  const name = `whisper_decoder${variant.cache ? "_cached" : ""}${variant.lastOnly ? "_last" : ""}${variant.alignmentHeads ? "_align" : ""}`;
  const g = new Graph(name, types);
  return g.build(() => {
    const w = new Weights(g, opts.wdtype ?? "f32");
    const tokens = g.inputs[0]!;
    const selfIn = variant.cache ? g.inputs.slice(1, 1 + 2 * L) : [];
    const crossIn = g.inputs.slice(1 + selfIn.length).map((c) => (crossDt === "f32" ? c : ops.cast(c, "f32")));
    const pos = w.get("decoder.positional_embedding", [dims.nTextCtx, d]);
    // Positions [past, past+n): symbolic bounds, so one compiled graph serves every step.
    const end = variant.cache ? "past+n" : "n";
    const embStored = w.stored("decoder.token_embedding.weight", [dims.nVocab, d]);
    let tok = ops.gather(embStored, tokens, 0);
    if (tok.dtype !== "f32") tok = ops.cast(tok, "f32");
    let x = ops.add(tok, ops.slice(pos, [past], [end], [0]));

    const newKV: Value[] = [];
    const align = new Map<number, number[]>();
    for (const h of variant.alignmentHeads ?? []) align.set(h.layer, [...(align.get(h.layer) ?? []), h.head]);
    const alignOut = new Map<string, Value>();
    for (let i = 0; i < L; i++) {
      const p = `decoder.blocks.${i}`;
      let h = layerNorm(w, x, `${p}.attn_ln`, d);
      const q = linear(w, h, `${p}.attn.query`, d, d);
      let k = linear(w, h, `${p}.attn.key`, d, d, false);
      let v = linear(w, h, `${p}.attn.value`, d, d);
      if (variant.cache) {
        k = ops.concat([selfIn[2 * i]!, k], 1);
        v = ops.concat([selfIn[2 * i + 1]!, v], 1);
      }
      newKV.push(k, v);
      x = ops.add(x, linear(w, attention(q, k, v, dims.nTextHead, { causal: true }).out, `${p}.attn.out`, d, d));

      h = layerNorm(w, x, `${p}.cross_attn_ln`, d);
      const cq = linear(w, h, `${p}.cross_attn.query`, d, d);
      const heads = align.get(i);
      const cross = attention(cq, crossIn[2 * i]!, crossIn[2 * i + 1]!, dims.nTextHead, { withScores: heads !== undefined });
      if (heads) for (const hh of heads) alignOut.set(`${i}.${hh}`, ops.slice(cross.scores!, [hh], [hh + 1], [1]));
      x = ops.add(x, linear(w, cross.out, `${p}.cross_attn.out`, d, d));

      x = ops.add(x, mlp(w, layerNorm(w, x, `${p}.mlp_ln`, d), p, d, dims.nTextMlp ?? 4 * d));
    }
    if (variant.lastOnly) x = ops.slice(x, ["n-1"], ["n"], [1]);
    // Tied output projection: logits against the token embedding, no bias.
    const logits = ops.matmul(layerNorm(w, x, "decoder.ln", d), ops.transpose(w.get("decoder.token_embedding.weight", [dims.nVocab, d]), 0, 1));
    const outs = [logits, ...newKV];
    // In the caller's order of heads, not layer order.
    const aligned = (variant.alignmentHeads ?? []).map((h) => alignOut.get(`${h.layer}.${h.head}`)!);
    if (aligned.length > 0) outs.push(aligned.length === 1 ? aligned[0]! : ops.concat(aligned, 1));
    g.output(...outs);
    return g;
  });
}
