// The Whisper model API: load a checkpoint, compile its graphs once per instance (symbolic
// batch and sequence dims, so nothing recompiles per call), and run log-mel, encoder, decoder
// sessions, greedy decoding and alignment weights. Long-form transcription lives in transcribe.ts.

import { type Device, type Executable, Tensor, compile, resolveBackend, type Graph } from "@max-whisper/graph";
import { N_SAMPLES, logMelSpectrogram, padOrTrim } from "./audio/index.js";
import { type AlignmentHead, alignmentHeadsFor } from "./model/dims.js";
import { getTokenizer, type Tokenizer } from "./tokenizer/index.js";
import { type ResolveModelOptions, type WhisperConfig, loadWhisperWeights, resolveModel } from "./weights/index.js";
import { buildEncoder } from "./model/encoder.js";
import { buildCrossKV, buildDecoder } from "./model/decoder.js";
import { type WeightDType, canonicalWeights } from "./model/params.js";
import { DecoderSession, type DecoderSessionOptions } from "./model/session.js";
import { greedyDecode } from "./decoding/greedy.js";
import { transcribe as transcribeImpl, type TranscribeOptions, type TranscribeResult } from "./transcribe.js";

export interface LoadOptions {
  device?: Device;
  /** cpu backend worker threads (default: all cores). */
  threads?: number;
  /** Storage dtype of the weight matrices (default f32; compute is always f32). */
  dtype?: WeightDType;
  /** A safetensors file inside the folder to read instead of model.safetensors. */
  weightsFile?: string;
  /** How a model name is resolved or downloaded (cache folder, offline, progress). */
  download?: ResolveModelOptions;
}

export interface CreateOptions extends Omit<LoadOptions, "weightsFile" | "download"> {
  /** Default: the shipped vocabulary that matches the config (English-only or multilingual). */
  tokenizer?: Tokenizer;
}

export interface GreedyOptions {
  /** Start of the sequence, one list or one per row (default: the tokenizer's sot sequence + notimestamps). */
  prompt?: readonly number[] | readonly (readonly number[])[];
  maxNewTokens?: number;
  /** true: Whisper's default set; false: none; or explicit ids. */
  suppress?: boolean | readonly number[];
  /** Suppress " " and eot at the first sampled step. */
  suppressBlank?: boolean;
  stopAtEnd?: boolean;
}

type Variant = "encoder" | "crossKV" | "first" | "firstAll" | "cached" | "cachedAll" | `align:${string}`;

export class Whisper {
  private readonly exes = new Map<string, Promise<Executable>>();

  /** Heads whose cross-attention aligns words (the config's, else the upper half of the decoder). */
  readonly alignmentHeads: readonly AlignmentHead[];

  private constructor(
    readonly config: WhisperConfig,
    private readonly weights: ReadonlyMap<string, Tensor>,
    readonly device: Exclude<Device, "auto">,
    readonly tokenizer: Tokenizer,
    private readonly opts: { threads?: number; dtype: WeightDType; halfKV: boolean },
  ) {
    this.alignmentHeads = alignmentHeadsFor(config, config.alignmentHeads);
  }

  /**
   * Load a model folder (config.json + safetensors, HF or OpenAI tensor names) or a model name
   * the hub module resolves (downloading on first use).
   */
  static async load(dirOrName: string, options: LoadOptions = {}): Promise<Whisper> {
    const dir = await resolveModel(dirOrName, options.download);
    const { config, tensors } = loadWhisperWeights(dir, { weightsFile: options.weightsFile });
    return Whisper.fromTensors(config, tensors, options);
  }

  /** A model from a parsed config and tensors already in memory (HF or OpenAI names). */
  static async fromTensors(config: WhisperConfig, tensors: ReadonlyMap<string, Tensor>, options: CreateOptions = {}): Promise<Whisper> {
    const dtype = options.dtype ?? "f32";
    const weights = canonicalWeights(tensors, config, dtype);
    const backend = await resolveBackend(options.device ?? "auto");
    const tokenizer = options.tokenizer ?? getTokenizer({ multilingual: config.multilingual, numLanguages: config.numLanguages });
    return new Whisper(config, weights, backend.name, tokenizer, { threads: options.threads, dtype, halfKV: backend.caps.halfKV === true });
  }

  /** Log-mel spectrogram of 16 kHz samples, padded or trimmed to 30 s: [n_mels, 3000]. */
  logMel(samples: Float32Array): Tensor {
    const m = logMelSpectrogram(padOrTrim(samples, N_SAMPLES), this.config.nMels);
    return new Tensor("f32", [m.nMels, m.nFrames], m.data);
  }

  /** [n_mels, 3000] -> [1, 1500, d]; [B, n_mels, 3000] -> [B, 1500, d]. */
  async encode(mel: Tensor): Promise<Tensor> {
    const frames = 2 * this.config.nAudioCtx;
    const m = mel.rank === 2 ? mel.reshape([1, ...mel.shape]) : mel;
    if (m.dtype !== "f32" || m.rank !== 3 || m.shape[1] !== this.config.nMels || m.shape[2] !== frames)
      throw new TypeError(`[Whisper.encode] mel: expected f32[${this.config.nMels}, ${frames}] or f32[batch, ${this.config.nMels}, ${frames}], got ${mel.dtype}[${mel.shape.join(", ")}]`);
    await new Promise<void>((r) => setImmediate(r)); // let timers and I/O run between windows (see session.ts)
    const [enc] = await (await this.exe("encoder")).execute(m);
    return enc!;
  }

  /** Logits of every position for the given tokens, one pass: [B, T, n_vocab]. */
  async logits(tokens: readonly number[] | readonly (readonly number[])[], enc: Tensor): Promise<Tensor> {
    const rows = toRows(tokens);
    const s = await this.decoder(enc);
    try {
      return await s.stepAll(rows);
    } finally {
      s.dispose();
    }
  }

  /** A decoder over this encoder output: cross K/V are computed now, once. */
  async decoder(enc: Tensor, options: DecoderSessionOptions = {}): Promise<DecoderSession> {
    this.checkEnc(enc);
    // On a GPU the cross K/V stay there for the whole session (it frees them).
    const crossKV = await this.exe("crossKV");
    const cross = crossKV.executeOnDevice
      ? await crossKV.executeOnDevice(crossKV.graph.outputs.map(() => true), enc)
      : await crossKV.execute(enc);
    return new DecoderSession(
      { first: (all) => this.exe(all ? "firstAll" : "first"), cached: (all) => this.exe(all ? "cachedAll" : "cached") },
      cross, options.rows ?? enc.shape[0]!, this.config.nVocab, this.config.nTextCtx, options,
    );
  }

  /** Greedy decoding of a single window (batch 1); returns the tokens after the prompt. */
  async greedy(enc: Tensor, options: GreedyOptions = {}): Promise<number[]> {
    if (enc.shape[0] !== 1)
      throw new RangeError(`[Whisper.greedy] enc: expected batch 1, got batch ${enc.shape[0]} (use greedyBatch)`);
    return (await this.greedyBatch(enc, options))[0]!;
  }

  /** Greedy decoding of every window of a batch, in lockstep; one token list per row. */
  async greedyBatch(enc: Tensor, options: GreedyOptions = {}): Promise<number[][]> {
    const batch = enc.shape[0]!;
    let prompt = toRows(options.prompt ?? this.tokenizer.sotSequenceIncludingNotimestamps());
    if (prompt.length === 1 && batch > 1) prompt = Array.from({ length: batch }, () => prompt[0]!);
    const maxNew = Math.min(options.maxNewTokens ?? 224, this.config.nTextCtx - prompt[0]!.length);
    const s = await this.decoder(enc);
    try {
      const r = await greedyDecode(s, {
        prompt, maxNewTokens: Math.max(0, maxNew), eot: this.tokenizer.eot, stopAtEnd: options.stopAtEnd ?? true,
        suppress: this.suppressIds(options.suppress ?? true),
        suppressBlank: (options.suppressBlank ?? true) ? this.tokenizer.suppressBlankTokens : [],
      });
      return r.tokens;
    } finally {
      s.dispose();
    }
  }

  /**
   * Cross-attention weights of the alignment heads for one window over `tokens` (one full pass),
   * [heads, T, frames]: each row is the softmax of that head's scores over the first `frames`
   * audio frames (default all; openai-whisper's timing.py passes num_frames // 2 so padding
   * frames take no weight). Runs a separate compiled graph, so normal decoding pays nothing.
   */
  async alignmentWeights(enc: Tensor, tokens: readonly number[], heads?: readonly AlignmentHead[], opts: { frames?: number } = {}): Promise<Tensor> {
    return (await this.alignment(enc, tokens, { heads, frames: opts.frames })).weights;
  }

  /** alignmentWeights plus the logits of every position ([1, T, n_vocab]) from the same pass. */
  async alignment(enc: Tensor, tokens: readonly number[], opts: { heads?: readonly AlignmentHead[]; frames?: number } = {}): Promise<{ weights: Tensor; logits: Tensor }> {
    const heads = opts.heads ?? this.alignmentHeads;
    const frames = opts.frames ?? this.config.nAudioCtx;
    const where = "[Whisper.alignmentWeights]";
    this.checkEnc(enc);
    if (enc.shape[0] !== 1) throw new RangeError(`${where} enc: expected batch 1, got batch ${enc.shape[0]}`);
    if (heads.length === 0) throw new RangeError(`${where} heads: expected at least one head, got none`);
    for (const h of heads)
      if (!(Number.isInteger(h.layer) && Number.isInteger(h.head) && h.layer >= 0 && h.layer < this.config.nTextLayer && h.head >= 0 && h.head < this.config.nTextHead))
        throw new RangeError(`${where} head {layer ${h.layer}, head ${h.head}} is outside ${this.config.nTextLayer} layers × ${this.config.nTextHead} heads`);
    if (!Number.isInteger(frames) || frames < 1 || frames > this.config.nAudioCtx)
      throw new RangeError(`${where} frames: expected an integer in [1, ${this.config.nAudioCtx}], got ${frames}`);
    if (tokens.length === 0 || tokens.length > this.config.nTextCtx)
      throw new RangeError(`${where} tokens: expected 1..${this.config.nTextCtx} tokens, got ${tokens.length}`);
    for (const t of tokens)
      if (!Number.isInteger(t) || t < 0 || t >= this.config.nVocab)
        throw new RangeError(`${where} token ${t} is outside the vocabulary [0, ${this.config.nVocab})`);
    const key = heads.map((h) => `${h.layer}.${h.head}`).join(",");
    const cross = await (await this.exe("crossKV")).execute(enc);
    const tok = new Tensor("i32", [1, tokens.length], Int32Array.from(tokens));
    const out = await (await this.exe(`align:${key}`, heads)).execute(tok, ...cross);
    return { weights: softmaxPrefix(out[out.length - 1]!, frames), logits: out[0]! };
  }

  /** Long-form transcription (see transcribe.ts). */
  transcribe(pathOrSamples: string | Float32Array, options: TranscribeOptions = {}): Promise<TranscribeResult> {
    return transcribeImpl(this, pathOrSamples, options);
  }

  dispose(): void {
    for (const p of this.exes.values()) void p.then((e) => e.dispose(), () => undefined);
    this.exes.clear();
  }

  /** The compiled graph for a variant, built and compiled on first use, then reused. */
  private exe(v: Variant, heads?: readonly AlignmentHead[]): Promise<Executable> {
    let p = this.exes.get(v);
    if (!p) {
      // With f16 weights the cross-attention K/V are kept in f16 too, like whisper.cpp's, where
      // the backend's attention reads them as stored (caps.halfKV): they are a fifth of what a
      // decoder step reads.
      const wd = { wdtype: this.opts.dtype, crossDtype: this.opts.dtype === "f16" && this.opts.halfKV ? "f16" as const : "f32" as const };
      const d = this.config;
      const g: Graph =
        v === "encoder" ? buildEncoder(d, wd)
        : v === "crossKV" ? buildCrossKV(d, wd)
        : v.startsWith("align:") ? buildDecoder(d, { cache: false, lastOnly: false, alignmentHeads: heads }, wd)
        : buildDecoder(d, { cache: v.startsWith("cached"), lastOnly: !v.endsWith("All") }, wd);
      p = compile(g, { device: this.device, weights: this.weights, threads: this.opts.threads, halfPrecision: this.opts.dtype === "f16" });
      // A failed compile is not cached: the next call tries again and reports its own error.
      p.catch(() => this.exes.delete(v));
      this.exes.set(v, p);
    }
    return p;
  }

  private checkEnc(enc: Tensor): void {
    const { nAudioCtx: s, nAudioState: d } = this.config;
    if (enc.dtype !== "f32" || enc.rank !== 3 || enc.shape[1] !== s || enc.shape[2] !== d)
      throw new TypeError(`[Whisper] enc: expected f32[batch, ${s}, ${d}] (from encode()), got ${enc.dtype}[${enc.shape.join(", ")}]`);
  }

  /** Whisper's default set (decoding.py's suppress_tokens "-1"), or the ids given. */
  private suppressIds(s: boolean | readonly number[]): readonly number[] {
    return s === true ? this.tokenizer.defaultSuppressTokens : s === false ? [] : s;
  }
}

/**
 * Scores [1, H, T, S] -> softmax over the first `frames` of S, [H, T, frames], in float64.
 * The truncation is why the graph returns scores: renormalising probabilities over a prefix
 * would lose precision where most of the weight sits on padding.
 */
function softmaxPrefix(scores: Tensor, frames: number): Tensor {
  const [, h, t, s] = scores.shape as [number, number, number, number];
  const src = scores.toFloat32Array(), out = new Float32Array(h * t * frames);
  for (let r = 0; r < h * t; r++) {
    const base = r * s;
    let m = -Infinity;
    for (let j = 0; j < frames; j++) m = Math.max(m, src[base + j]!);
    let sum = 0;
    for (let j = 0; j < frames; j++) sum += Math.exp(src[base + j]! - m);
    for (let j = 0; j < frames; j++) out[r * frames + j] = Math.exp(src[base + j]! - m) / sum;
  }
  return new Tensor("f32", [h, t, frames], out);
}

function toRows(tokens: readonly number[] | readonly (readonly number[])[]): number[][] {
  if (tokens.length === 0) throw new RangeError("[Whisper] tokens: expected at least one token, got none");
  return typeof tokens[0] === "number" ? [[...(tokens as readonly number[])]] : (tokens as readonly (readonly number[])[]).map((r) => [...r]);
}
