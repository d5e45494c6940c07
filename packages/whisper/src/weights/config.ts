// WhisperConfig: one description of a Whisper model's dimensions, read from a Hugging Face
// config.json (WhisperConfig keys) or OpenAI's ModelDimensions (top level or under "dims"),
// and the published sizes tiny..large-v3 and turbo as presets.

export interface WhisperConfig {
  nMels: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioHead: number;
  nAudioLayer: number;
  nTextCtx: number;
  nTextState: number;
  nTextHead: number;
  nTextLayer: number;
  nVocab: number;
  /** Hidden width of the encoder / decoder MLP (4 × state in every OpenAI model). */
  nAudioMlp: number;
  nTextMlp: number;
  /** nVocab >= 51865. */
  multilingual: boolean;
  /** Language tokens: nVocab − 51765 − (multilingual ? 1 : 0), as whisper's model.num_languages (99, or 100 for large-v3). */
  numLanguages: number;
  /** Cross-attention heads used for word timestamps, as [layer, head] pairs, when known. */
  alignmentHeads?: [number, number][];
  /** HF generation config's suppress lists, when the folder has them. */
  suppressTokens?: number[];
  beginSuppressTokens?: number[];
}

type Json = Record<string, unknown>;

function int(obj: Json, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
    throw new Error(`[whisper config] ${where}: '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function derive(c: Omit<WhisperConfig, "multilingual" | "numLanguages">): WhisperConfig {
  const multilingual = c.nVocab >= 51865;
  return { ...c, multilingual, numLanguages: c.nVocab - 51765 - (multilingual ? 1 : 0) };
}

/**
 * Parse a config object. HF keys (d_model, encoder_layers, …) win when present; otherwise the
 * OpenAI ModelDimensions names are read from `dims` or the top level. `where` names the file.
 */
export function parseWhisperConfig(json: unknown, where = "config.json"): WhisperConfig {
  if (typeof json !== "object" || json === null) throw new Error(`[whisper config] ${where}: expected a JSON object`);
  const o = json as Json;
  let c: WhisperConfig;
  if ("d_model" in o || "encoder_layers" in o) {
    const d = int(o, "d_model", where);
    c = derive({
      nMels: int(o, "num_mel_bins", where),
      nAudioCtx: int(o, "max_source_positions", where),
      nAudioState: d,
      nAudioHead: int(o, "encoder_attention_heads", where),
      nAudioLayer: int(o, "encoder_layers", where),
      nTextCtx: int(o, "max_target_positions", where),
      nTextState: d,
      nTextHead: int(o, "decoder_attention_heads", where),
      nTextLayer: int(o, "decoder_layers", where),
      nVocab: int(o, "vocab_size", where),
      nAudioMlp: "encoder_ffn_dim" in o ? int(o, "encoder_ffn_dim", where) : 4 * d,
      nTextMlp: "decoder_ffn_dim" in o ? int(o, "decoder_ffn_dim", where) : 4 * d,
    });
    if (o.activation_function !== undefined && o.activation_function !== "gelu")
      throw new Error(`[whisper config] ${where}: activation_function: expected "gelu", got ${JSON.stringify(o.activation_function)}`);
    if (o.scale_embedding === true)
      throw new Error(`[whisper config] ${where}: scale_embedding: expected false (Whisper never scales embeddings), got true`);
  } else {
    const dims = (typeof o.dims === "object" && o.dims !== null ? o.dims : o) as Json;
    const w = dims === o ? where : `${where} (dims)`;
    const as = int(dims, "n_audio_state", w), ts = int(dims, "n_text_state", w);
    c = derive({
      nMels: int(dims, "n_mels", w),
      nAudioCtx: int(dims, "n_audio_ctx", w),
      nAudioState: as,
      nAudioHead: int(dims, "n_audio_head", w),
      nAudioLayer: int(dims, "n_audio_layer", w),
      nTextCtx: int(dims, "n_text_ctx", w),
      nTextState: ts,
      nTextHead: int(dims, "n_text_head", w),
      nTextLayer: int(dims, "n_text_layer", w),
      nVocab: int(dims, "n_vocab", w),
      nAudioMlp: 4 * as,
      nTextMlp: 4 * ts,
    });
  }
  if (c.nAudioState % c.nAudioHead !== 0 || c.nTextState % c.nTextHead !== 0)
    throw new Error(`[whisper config] ${where}: state width must divide by the head count: got ${c.nAudioState}/${c.nAudioHead} and ${c.nTextState}/${c.nTextHead}`);
  const heads = o.alignment_heads ?? (o.dims as Json | undefined)?.alignment_heads;
  if (heads !== undefined) c.alignmentHeads = parseAlignmentHeads(heads, c, where);
  return c;
}

/** [[layer, head], …] as HF's generation_config.json lists them, checked against the config. */
export function parseAlignmentHeads(heads: unknown, c: WhisperConfig, where: string): [number, number][] {
  if (!Array.isArray(heads) || !heads.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger)))
    throw new Error(`[whisper config] ${where}: alignment_heads must be a list of [layer, head] pairs`);
  for (const [l, h] of heads as [number, number][])
    if (l < 0 || l >= c.nTextLayer || h < 0 || h >= c.nTextHead)
      throw new Error(`[whisper config] ${where}: alignment head [${l}, ${h}] is outside ${c.nTextLayer} layers × ${c.nTextHead} heads`);
  return (heads as [number, number][]).map(([l, h]) => [l, h]);
}

/** The config as an HF config.json object (what a downloaded model folder holds). */
export function toHuggingFaceConfig(c: WhisperConfig): Json {
  if (c.nAudioState !== c.nTextState) throw new Error(`[whisper config] HF configs need equal audio and text widths, got ${c.nAudioState} and ${c.nTextState}`);
  return {
    model_type: "whisper", architectures: ["WhisperForConditionalGeneration"],
    vocab_size: c.nVocab, num_mel_bins: c.nMels, d_model: c.nAudioState,
    encoder_layers: c.nAudioLayer, encoder_attention_heads: c.nAudioHead,
    decoder_layers: c.nTextLayer, decoder_attention_heads: c.nTextHead,
    encoder_ffn_dim: c.nAudioMlp, decoder_ffn_dim: c.nTextMlp,
    max_source_positions: c.nAudioCtx, max_target_positions: c.nTextCtx,
    activation_function: "gelu", scale_embedding: false, tie_word_embeddings: true,
  };
}

function preset(mels: number, state: number, heads: number, layers: number, vocab: number, textLayers = layers): WhisperConfig {
  return derive({
    nMels: mels, nAudioCtx: 1500, nAudioState: state, nAudioHead: heads, nAudioLayer: layers,
    nTextCtx: 448, nTextState: state, nTextHead: heads, nTextLayer: textLayers, nVocab: vocab,
    nAudioMlp: 4 * state, nTextMlp: 4 * state,
  });
}

/** Dimensions of the published OpenAI checkpoints (whisper/__init__.py _MODELS). */
export const WHISPER_PRESETS: Readonly<Record<string, WhisperConfig>> = {
  "tiny.en": preset(80, 384, 6, 4, 51864),
  tiny: preset(80, 384, 6, 4, 51865),
  "base.en": preset(80, 512, 8, 6, 51864),
  base: preset(80, 512, 8, 6, 51865),
  "small.en": preset(80, 768, 12, 12, 51864),
  small: preset(80, 768, 12, 12, 51865),
  "medium.en": preset(80, 1024, 16, 24, 51864),
  medium: preset(80, 1024, 16, 24, 51865),
  "large-v1": preset(80, 1280, 20, 32, 51865),
  "large-v2": preset(80, 1280, 20, 32, 51865),
  "large-v3": preset(128, 1280, 20, 32, 51866),
  "large-v3-turbo": preset(128, 1280, 20, 32, 51866, 4),
};
