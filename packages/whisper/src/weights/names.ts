// Tensor names: OpenAI state_dict names (canonical here) <-> Hugging Face
// WhisperForConditionalGeneration names, and the full list of expected tensors with shapes.

import type { WhisperConfig } from "./config.js";

// Per-block suffixes, OpenAI -> HF (transformers' convert_openai_to_hf.py rules, resolved).
const BLOCK: [string, string][] = [
  ["attn.query", "self_attn.q_proj"], ["attn.key", "self_attn.k_proj"],
  ["attn.value", "self_attn.v_proj"], ["attn.out", "self_attn.out_proj"],
  ["attn_ln", "self_attn_layer_norm"],
  ["cross_attn.query", "encoder_attn.q_proj"], ["cross_attn.key", "encoder_attn.k_proj"],
  ["cross_attn.value", "encoder_attn.v_proj"], ["cross_attn.out", "encoder_attn.out_proj"],
  ["cross_attn_ln", "encoder_attn_layer_norm"],
  ["mlp.0", "fc1"], ["mlp.2", "fc2"], ["mlp_ln", "final_layer_norm"],
];
const TOP: [string, string][] = [
  ["encoder.positional_embedding", "encoder.embed_positions.weight"],
  ["decoder.positional_embedding", "decoder.embed_positions.weight"],
  ["decoder.token_embedding.weight", "decoder.embed_tokens.weight"],
  ["encoder.ln_post.weight", "encoder.layer_norm.weight"], ["encoder.ln_post.bias", "encoder.layer_norm.bias"],
  ["decoder.ln.weight", "decoder.layer_norm.weight"], ["decoder.ln.bias", "decoder.layer_norm.bias"],
];
const BLOCK_O2H = new Map(BLOCK), BLOCK_H2O = new Map(BLOCK.map(([o, h]) => [h, o]));
const TOP_O2H = new Map(TOP), TOP_H2O = new Map(TOP.map(([o, h]) => [h, o]));

function splitParam(s: string): [string, string] | undefined {
  const m = /^(.*)\.(weight|bias)$/.exec(s);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** OpenAI name -> HF name (with the `model.` prefix), or undefined for names HF does not have. */
export function openaiToHf(name: string): string | undefined {
  const top = TOP_O2H.get(name);
  if (top) return `model.${top}`;
  if (/^encoder\.conv[12]\.(weight|bias)$/.test(name)) return `model.${name}`;
  const m = /^(encoder|decoder)\.blocks\.(\d+)\.(.+)$/.exec(name);
  const p = m && splitParam(m[3]!);
  if (!m || !p) return undefined;
  const h = BLOCK_O2H.get(p[0]);
  return h ? `model.${m[1]}.layers.${m[2]}.${h}.${p[1]}` : undefined;
}

/**
 * HF name (with or without `model.`) -> OpenAI name. `proj_out.weight` maps to the token
 * embedding it is tied to. Unknown names give undefined.
 */
export function hfToOpenai(name: string): string | undefined {
  const n = name.startsWith("model.") ? name.slice(6) : name;
  if (n === "proj_out.weight") return "decoder.token_embedding.weight";
  const top = TOP_H2O.get(n);
  if (top) return top;
  if (/^encoder\.conv[12]\.(weight|bias)$/.test(n)) return n;
  const m = /^(encoder|decoder)\.layers\.(\d+)\.(.+)$/.exec(n);
  const p = m && splitParam(m[3]!);
  if (!m || !p) return undefined;
  const o = BLOCK_H2O.get(p[0]);
  return o ? `${m[1]}.blocks.${m[2]}.${o}.${p[1]}` : undefined;
}

/** Every tensor a Whisper model of this config has, by OpenAI name, with its shape. */
export function expectedTensors(c: WhisperConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const linear = (prefix: string, nOut: number, nIn: number, bias = true): void => {
    out.set(`${prefix}.weight`, [nOut, nIn]);
    if (bias) out.set(`${prefix}.bias`, [nOut]);
  };
  const norm = (prefix: string, n: number): void => {
    out.set(`${prefix}.weight`, [n]);
    out.set(`${prefix}.bias`, [n]);
  };
  const block = (prefix: string, n: number, mlp: number, cross: boolean, crossIn: number): void => {
    // Whisper's key projections have no bias.
    linear(`${prefix}.attn.query`, n, n);
    linear(`${prefix}.attn.key`, n, n, false);
    linear(`${prefix}.attn.value`, n, n);
    linear(`${prefix}.attn.out`, n, n);
    norm(`${prefix}.attn_ln`, n);
    if (cross) {
      linear(`${prefix}.cross_attn.query`, n, n);
      linear(`${prefix}.cross_attn.key`, n, crossIn, false);
      linear(`${prefix}.cross_attn.value`, n, crossIn);
      linear(`${prefix}.cross_attn.out`, n, n);
      norm(`${prefix}.cross_attn_ln`, n);
    }
    linear(`${prefix}.mlp.0`, mlp, n);
    linear(`${prefix}.mlp.2`, n, mlp);
    norm(`${prefix}.mlp_ln`, n);
  };
  const a = c.nAudioState, t = c.nTextState;
  out.set("encoder.conv1.weight", [a, c.nMels, 3]);
  out.set("encoder.conv1.bias", [a]);
  out.set("encoder.conv2.weight", [a, a, 3]);
  out.set("encoder.conv2.bias", [a]);
  out.set("encoder.positional_embedding", [c.nAudioCtx, a]);
  for (let i = 0; i < c.nAudioLayer; i++) block(`encoder.blocks.${i}`, a, c.nAudioMlp, false, a);
  norm("encoder.ln_post", a);
  out.set("decoder.token_embedding.weight", [c.nVocab, t]);
  out.set("decoder.positional_embedding", [c.nTextCtx, t]);
  for (let i = 0; i < c.nTextLayer; i++) block(`decoder.blocks.${i}`, t, c.nTextMlp, true, a);
  norm("decoder.ln", t);
  return out;
}
