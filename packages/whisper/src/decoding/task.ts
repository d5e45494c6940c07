// One window's decoding as openai-whisper's DecodingTask runs it (greedy at temperature 0,
// best-of-n sampling above): the initial tokens with the <|startofprev|> prompt, the logit
// filters, sum and average log-probability, no-speech probability at the sot position, the
// compression ratio, and language detection. Fallback across temperatures lives in transcribe.ts.

import type { Tensor } from "@max-whisper/graph";
import type { Tokenizer } from "../tokenizer/index.js";
import type { DecoderSession } from "../model/session.js";
import { argmaxSuppressed } from "./greedy.js";
import { ApplyTimestampRules, type LogitFilter, SuppressBlank, SuppressTokens } from "./logit-filters.js";
import { SeededRandom, sampleCategorical } from "./random.js";
import { compressionRatio, pyStrip } from "./compression.js";

/** What a DecodingTask needs from the model (the Whisper class satisfies it). */
export interface DecodingModel {
  readonly config: { readonly nTextCtx: number; readonly nAudioCtx: number };
  decoder(enc: Tensor, options?: { rows?: number }): Promise<DecoderSession>;
}

export interface DecodingOptions {
  tokenizer: Tokenizer;
  /** 0: greedy; > 0: sample `bestOf` candidates from softmax(logits / temperature). */
  temperature: number;
  /** Candidates sampled at temperature > 0 (default 1 there; ignored at 0). */
  bestOf?: number;
  /** Sampling source; required when temperature > 0. */
  rng?: SeededRandom;
  /** Previous text tokens; the last n_text_ctx/2 - 1 follow <|startofprev|>. */
  prompt?: readonly number[];
  withoutTimestamps?: boolean;
  /** Most sampled tokens (default n_text_ctx / 2). */
  sampleLen?: number;
  /** Default true: suppress " " and eot at the first sampled position. */
  suppressBlank?: boolean;
  /** Default: Whisper's "-1" set (non-speech symbols and bookkeeping tokens). */
  suppressTokens?: readonly number[];
  /** Default 1.0 s: the first timestamp can be at most this late. */
  maxInitialTimestamp?: number;
}

export interface DecodingResult {
  /** Sampled tokens between the initial tokens and eot. */
  tokens: number[];
  /** decode(tokens), stripped. */
  text: string;
  sumLogprob: number;
  /** sumLogprob / (tokens + 1): the eot's log-probability counts in the sum, so in the length. */
  avgLogprob: number;
  noSpeechProb: number;
  temperature: number;
  compressionRatio: number;
}

/** decoding.py's initial tokens: [<|startofprev|>, prompt tail...] + sot sequence (+ notimestamps). */
export function initialTokens(tokenizer: Tokenizer, nTextCtx: number, prompt: readonly number[] | undefined, withoutTimestamps: boolean): number[] {
  const sot = withoutTimestamps ? tokenizer.sotSequenceIncludingNotimestamps() : tokenizer.sotSequence();
  if (!prompt || prompt.length === 0) return sot;
  const keep = Math.floor(nTextCtx / 2) - 1;
  return [tokenizer.sotPrev, ...prompt.slice(Math.max(0, prompt.length - keep)), ...sot];
}

/** Decode one encoded window (enc batch 1). */
export async function decodeWindow(model: DecodingModel, enc: Tensor, opts: DecodingOptions): Promise<DecodingResult> {
  const tk = opts.tokenizer;
  const t = opts.temperature;
  if (!(Number.isFinite(t) && t >= 0)) throw new RangeError(`[decode] temperature: expected a finite number >= 0, got ${t}`);
  const nGroup = t > 0 ? (opts.bestOf ?? 1) : 1;
  if (!Number.isInteger(nGroup) || nGroup < 1) throw new RangeError(`[decode] bestOf: expected a positive integer, got ${opts.bestOf}`);
  if (t > 0 && !opts.rng) throw new RangeError("[decode] rng: sampling at temperature > 0 needs a seeded generator");
  const nCtx = model.config.nTextCtx;
  const sampleLen = opts.sampleLen ?? Math.floor(nCtx / 2);
  const init = initialTokens(tk, nCtx, opts.prompt, opts.withoutTimestamps ?? false);
  const sampleBegin = init.length;
  const sotIndex = init.indexOf(tk.sot);
  const eot = tk.eot;

  const filters: LogitFilter[] = [];
  if (opts.suppressBlank ?? true) filters.push(new SuppressBlank(tk, sampleBegin));
  filters.push(new SuppressTokens(opts.suppressTokens ?? tk.defaultSuppressTokens));
  if (!opts.withoutTimestamps) {
    // CHUNK_LENGTH / n_audio_ctx: 0.02 s per timestamp step.
    const precision = 30 / model.config.nAudioCtx;
    const mit = opts.maxInitialTimestamp ?? 1.0;
    filters.push(new ApplyTimestampRules(tk, sampleBegin, mit ? Math.round(mit / precision) : undefined));
  }

  const rows: number[][] = Array.from({ length: nGroup }, () => [...init]);
  const sum = new Float64Array(nGroup);
  let noSpeechProb = NaN;
  const session = await model.decoder(enc, { rows: nGroup });
  try {
    let logits: Float32Array[];
    {
      const all = await session.stepAll(rows);
      const [, T, V] = all.shape as [number, number, number];
      const data = all.toFloat32Array();
      noSpeechProb = softmaxAt(data.subarray(sotIndex * V, (sotIndex + 1) * V), tk.noSpeech);
      logits = rows.map((_, r) => data.slice((r * T + T - 1) * V, (r * T + T) * V));
    }
    for (let i = 0; i < sampleLen; i++) {
      const next: number[] = [];
      for (let r = 0; r < nGroup; r++) {
        const row = rows[r]!, lg = logits[r]!;
        for (const f of filters) f.apply(lg, row);
        const id = t === 0 ? argmaxSuppressed(lg) : sampleCategorical(lg, t, opts.rng!);
        const last = row[row.length - 1]!;
        // A finished row keeps emitting eot and adds nothing more to its score.
        if (last !== eot) sum[r] += logSoftmaxAt(lg, id);
        const tok = last === eot ? eot : id;
        row.push(tok);
        next.push(tok);
      }
      if (rows.every((row) => row[row.length - 1] === eot) || rows[0]!.length > nCtx) break;
      logits = await session.step(next.map((x) => [x]));
    }
  } finally {
    session.dispose();
  }

  // Slice each candidate from the first sampled token to its first eot, then rank by the
  // length-normalised sum (MaximumLikelihoodRanker without a length penalty).
  const cands = rows.map((row) => {
    const s = row.slice(sampleBegin);
    const e = s.indexOf(eot);
    return e < 0 ? s : s.slice(0, e);
  });
  let best = 0, bestScore = -Infinity;
  cands.forEach((c, r) => {
    const score = sum[r]! / c.length;
    if (score > bestScore || (r === 0 && Number.isNaN(bestScore))) { best = r; bestScore = score; }
  });
  const tokens = cands[best]!;
  const text = pyStrip(tk.decodeText(tokens));
  return {
    tokens, text, sumLogprob: sum[best]!, avgLogprob: sum[best]! / (tokens.length + 1),
    noSpeechProb, temperature: t, compressionRatio: compressionRatio(text),
  };
}

/** Language detection (whisper's detect_language): logits at <|startoftranscript|>, languages only. */
export async function detectLanguage(model: DecodingModel, enc: Tensor, tokenizer: Tokenizer): Promise<{ language: string; probs: Map<string, number> }> {
  const codes = tokenizer.allLanguageCodes, ids = tokenizer.allLanguageTokens;
  if (ids.length === 0) throw new Error("[detectLanguage] this model has no language tokens, so it cannot detect the language");
  const s = await model.decoder(enc, { rows: 1 });
  let lg: Float32Array;
  try {
    [lg] = (await s.step([[tokenizer.sot]])) as [Float32Array];
  } finally {
    s.dispose();
  }
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, lg[id]!);
  let total = 0;
  for (const id of ids) total += Math.exp(lg[id]! - max);
  const probs = new Map<string, number>();
  let bestCode = codes[0]!, bestP = -1;
  ids.forEach((id, i) => {
    const p = Math.exp(lg[id]! - max) / total;
    probs.set(codes[i]!, p);
    if (p > bestP) { bestP = p; bestCode = codes[i]!; }
  });
  return { language: bestCode, probs };
}

function softmaxAt(logits: Float32Array, id: number): number {
  return Math.exp(logSoftmaxAt(logits, id));
}

/** log_softmax(logits)[id] in float64; -inf entries take no mass. */
export function logSoftmaxAt(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i]! - max);
  return logits[id]! - max - Math.log(total);
}
