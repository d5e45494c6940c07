// Long-form transcription equal to openai-whisper's transcribe() (release 20250625): the mel of
// the whole audio plus 30 s of padding, a seek loop over 30 s windows, temperature fallback,
// timestamp segments, the previous text as prompt, the no-speech skip and word timestamps.

import { Tensor } from "@max-whisper/graph";
import { HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE, loadAudio, logMelSpectrogram } from "./audio/index.js";
import { getTokenizer, normalizeLanguage, type Task, type Tokenizer } from "./tokenizer/index.js";
import { type DecodingResult, decodeWindow, detectLanguage } from "./decoding/task.js";
import { SeededRandom } from "./decoding/random.js";
import { pyStrip } from "./decoding/compression.js";
import { APPEND_PUNCTUATIONS, PREPEND_PUNCTUATIONS, type Word, addWordTimestamps } from "./timing/alignment.js";
import type { Whisper } from "./whisper.js";

export interface TranscribeOptions {
  /** Spoken language; detected from the first 30 s when absent (English-only models: "en"). */
  language?: string;
  task?: Task;
  /** One temperature or the fallback list (default [0, 0.2, 0.4, 0.6, 0.8, 1]). */
  temperature?: number | readonly number[];
  /** A window whose text compresses better than this is decoded again (default 2.4; null: off). */
  compressionRatioThreshold?: number | null;
  /** A window whose average log-probability is below this is decoded again (default -1; null: off). */
  logprobThreshold?: number | null;
  /** With a failed log-prob check, a no-speech probability above this skips the window (default 0.6; null: off). */
  noSpeechThreshold?: number | null;
  conditionOnPreviousText?: boolean;
  initialPrompt?: string;
  withoutTimestamps?: boolean;
  wordTimestamps?: boolean;
  prependPunctuations?: string;
  appendPunctuations?: string;
  /** Candidates sampled per window at temperature > 0 (default 5). */
  bestOf?: number;
  /** Seed of the sampling generator (default 0). */
  seed?: number;
  /** Most tokens sampled per window (openai-whisper's sample_len; default n_text_ctx / 2). */
  sampleLen?: number;
  /** Called after each window with the fraction of the audio done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

export interface Segment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
  words?: Word[];
}

export interface TranscribeResult {
  text: string;
  language: string;
  segments: Segment[];
}

const DEFAULT_TEMPERATURES = [0, 0.2, 0.4, 0.6, 0.8, 1.0];
const KNOWN = new Set([
  "language", "task", "temperature", "compressionRatioThreshold", "logprobThreshold", "noSpeechThreshold",
  "conditionOnPreviousText", "initialPrompt", "withoutTimestamps", "wordTimestamps", "prependPunctuations",
  "appendPunctuations", "bestOf", "seed", "sampleLen", "onProgress",
]);

function checkOptions(o: Record<string, unknown>): TranscribeOptions {
  for (const k of Object.keys(o))
    if (!KNOWN.has(k)) throw new TypeError(`[transcribe] unknown option "${k}" (expected one of ${[...KNOWN].join(", ")})`);
  const num = (k: string, ok: (v: number) => boolean, what: string): void => {
    const v = o[k];
    if (v !== undefined && v !== null && !(typeof v === "number" && ok(v))) throw new RangeError(`[transcribe] ${k}: expected ${what}, got ${String(v)}`);
  };
  num("compressionRatioThreshold", Number.isFinite, "a number or null");
  num("logprobThreshold", Number.isFinite, "a number or null");
  num("noSpeechThreshold", Number.isFinite, "a number or null");
  num("bestOf", (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  num("seed", Number.isInteger, "an integer");
  num("sampleLen", (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  const t = o.temperature;
  const temps = t === undefined ? [] : typeof t === "number" ? [t] : Array.isArray(t) ? t : [NaN];
  if (temps.length === 0 && t !== undefined) throw new RangeError("[transcribe] temperature: expected a number or a non-empty list, got []");
  for (const x of temps)
    if (!(typeof x === "number" && Number.isFinite(x) && x >= 0)) throw new RangeError(`[transcribe] temperature: expected numbers >= 0, got ${String(t)}`);
  if (o.task !== undefined && o.task !== "transcribe" && o.task !== "translate")
    throw new RangeError(`[transcribe] task: expected "transcribe" or "translate", got ${String(o.task)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new TypeError("[transcribe] onProgress: expected a function");
  return o as TranscribeOptions;
}

/**
 * Transcribe a file (any format loadAudio reads) or 16 kHz mono samples. Results, segment by
 * segment, equal openai-whisper's transcribe() with the same options.
 */
export async function transcribe(model: Whisper, pathOrSamples: string | Float32Array, options: TranscribeOptions | Record<string, unknown> = {}): Promise<TranscribeResult> {
  const o = checkOptions(options as Record<string, unknown>);
  const audio = typeof pathOrSamples === "string" ? await loadAudio(pathOrSamples) : pathOrSamples;
  if (!(audio instanceof Float32Array)) throw new TypeError("[transcribe] audio: expected a file path or a Float32Array of 16 kHz samples");
  const cfg = model.config;
  const temperatures = o.temperature === undefined ? DEFAULT_TEMPERATURES : typeof o.temperature === "number" ? [o.temperature] : [...o.temperature];
  const crThreshold = o.compressionRatioThreshold === undefined ? 2.4 : o.compressionRatioThreshold;
  const lpThreshold = o.logprobThreshold === undefined ? -1.0 : o.logprobThreshold;
  const nsThreshold = o.noSpeechThreshold === undefined ? 0.6 : o.noSpeechThreshold;
  const conditionOnPrevious = o.conditionOnPreviousText ?? true;
  const withoutTimestamps = o.withoutTimestamps ?? false;
  const rng = new SeededRandom(o.seed ?? 0);

  // Pad 30 s of silence so every window, the last included, slices real mel frames.
  const m = logMelSpectrogram(audio, cfg.nMels, N_SAMPLES);
  const contentFrames = m.nFrames - N_FRAMES;
  const window = (seek: number, size: number): Tensor => {
    // mel[:, seek : seek + size], zero-padded to 3000 frames (pad_or_trim pads with 0, not silence).
    const out = new Float32Array(cfg.nMels * N_FRAMES);
    for (let b = 0; b < cfg.nMels; b++)
      out.set(m.data.subarray(b * m.nFrames + seek, b * m.nFrames + seek + size), b * N_FRAMES);
    return new Tensor("f32", [cfg.nMels, N_FRAMES], out);
  };

  let language: string;
  if (o.language !== undefined && o.language !== null) language = normalizeLanguage(o.language);
  else if (!cfg.multilingual) language = "en";
  else {
    const enc = await model.encode(window(0, Math.min(N_FRAMES, m.nFrames)));
    language = (await detectLanguage(model, enc, model.tokenizer)).language;
  }
  const task = o.task ?? "transcribe";
  const tokenizer: Tokenizer = getTokenizer({ multilingual: cfg.multilingual, numLanguages: cfg.numLanguages, language, task });

  const decodeWithFallback = async (enc: Tensor, prompt: number[]): Promise<DecodingResult> => {
    let result: DecodingResult | undefined;
    for (const t of temperatures) {
      result = await decodeWindow(model, enc, {
        tokenizer, temperature: t, bestOf: t > 0 ? (o.bestOf ?? 5) : undefined, rng, prompt, withoutTimestamps, sampleLen: o.sampleLen,
      });
      let needsFallback = false;
      if (crThreshold !== null && result.compressionRatio > crThreshold) needsFallback = true; // too repetitive
      if (lpThreshold !== null && result.avgLogprob < lpThreshold) needsFallback = true; // too unlikely
      if (nsThreshold !== null && result.noSpeechProb > nsThreshold && lpThreshold !== null && result.avgLogprob < lpThreshold)
        needsFallback = false; // silence
      if (!needsFallback) break;
    }
    return result!;
  };

  const inputStride = N_FRAMES / cfg.nAudioCtx; // mel frames per output token: 2
  const timePrecision = (inputStride * HOP_LENGTH) / SAMPLE_RATE; // 0.02 s per timestamp step
  const framesPerSecond = SAMPLE_RATE / HOP_LENGTH;
  const tb = tokenizer.timestampBegin, eot = tokenizer.eot;
  const allTokens: number[] = [];
  const allSegments: Segment[] = [];
  let promptResetSince = 0;
  const initialPromptTokens = o.initialPrompt !== undefined && o.initialPrompt !== null ? tokenizer.encode(" " + o.initialPrompt.trim()) : [];
  allTokens.push(...initialPromptTokens);

  let seek = 0;
  let lastSpeechTimestamp = 0;
  while (seek < contentFrames) {
    const timeOffset = (seek * HOP_LENGTH) / SAMPLE_RATE;
    const segmentSize = Math.min(N_FRAMES, contentFrames - seek);
    const segmentDuration = (segmentSize * HOP_LENGTH) / SAMPLE_RATE;
    const enc = await model.encode(window(seek, segmentSize));

    const result = await decodeWithFallback(enc, allTokens.slice(promptResetSince));
    const tokens = result.tokens;

    if (nsThreshold !== null) {
      let skip = result.noSpeechProb > nsThreshold;
      // A confident decoding is kept despite the no-speech probability.
      if (lpThreshold !== null && result.avgLogprob > lpThreshold) skip = false;
      if (skip) {
        seek += segmentSize;
        o.onProgress?.(Math.min(contentFrames, seek) / contentFrames);
        continue;
      }
    }

    const current: Omit<Segment, "id">[] = [];
    const newSegment = (start: number, end: number, toks: number[]): Omit<Segment, "id"> => ({
      seek, start, end, text: tokenizer.decodeText(toks.filter((t) => t < eot)), tokens: toks,
      temperature: result.temperature, avgLogprob: result.avgLogprob,
      compressionRatio: result.compressionRatio, noSpeechProb: result.noSpeechProb,
    });

    const isTs = tokens.map((t) => t >= tb);
    const n = tokens.length;
    const singleTimestampEnding = n >= 2 && !isTs[n - 2] && isTs[n - 1]!;
    const consecutive: number[] = [];
    for (let i = 0; i + 1 < n; i++) if (isTs[i] && isTs[i + 1]) consecutive.push(i + 1);

    if (consecutive.length > 0) {
      const slices = [...consecutive];
      if (singleTimestampEnding) slices.push(n);
      let lastSlice = 0;
      for (const cur of slices) {
        const sliced = tokens.slice(lastSlice, cur);
        const startPos = sliced[0]! - tb, endPos = sliced[sliced.length - 1]! - tb;
        current.push(newSegment(timeOffset + startPos * timePrecision, timeOffset + endPos * timePrecision, sliced));
        lastSlice = cur;
      }
      if (singleTimestampEnding) seek += segmentSize; // no speech after the last timestamp
      else seek += (tokens[lastSlice - 1]! - tb) * inputStride; // drop the unfinished segment
    } else {
      let duration = segmentDuration;
      const stamps = tokens.filter((t) => t >= tb);
      if (stamps.length > 0 && stamps[stamps.length - 1] !== tb) duration = (stamps[stamps.length - 1]! - tb) * timePrecision;
      current.push(newSegment(timeOffset, timeOffset + duration, tokens));
      seek += segmentSize;
    }

    if (o.wordTimestamps) {
      await addWordTimestamps({
        segments: current, model, tokenizer, enc, numFrames: segmentSize, lastSpeechTimestamp,
        prependPunctuations: o.prependPunctuations ?? PREPEND_PUNCTUATIONS,
        appendPunctuations: o.appendPunctuations ?? APPEND_PUNCTUATIONS,
      });
      if (!singleTimestampEnding) {
        const lastWordEnd = lastEnd(current);
        if (lastWordEnd !== undefined && lastWordEnd > timeOffset) seek = roundHalfEvenInt(lastWordEnd * framesPerSecond);
      }
      const lastWordEnd = lastEnd(current);
      if (lastWordEnd !== undefined) lastSpeechTimestamp = lastWordEnd;
    }

    // An instantaneous or empty segment keeps its place but loses its text.
    for (const s of current) {
      if (s.start === s.end || pyStrip(s.text) === "") {
        s.text = "";
        s.tokens = [];
        s.words = [];
      }
    }
    for (const s of current) allSegments.push({ id: allSegments.length, ...s });
    for (const s of current) allTokens.push(...s.tokens);

    // A high-temperature window is not fed forward as a prompt.
    if (!conditionOnPrevious || result.temperature > 0.5) promptResetSince = allTokens.length;
    o.onProgress?.(Math.min(contentFrames, seek) / contentFrames);
  }

  return { text: tokenizer.decodeText(allTokens.slice(initialPromptTokens.length)), language, segments: allSegments };
}

/** The last word's end over the segments, else the last segment's end (timing's get_end). */
function lastEnd(segments: readonly { end: number; words?: Word[] }[]): number | undefined {
  for (let i = segments.length - 1; i >= 0; i--) {
    const w = segments[i]!.words ?? [];
    if (w.length > 0) return w[w.length - 1]!.end;
  }
  return segments.length > 0 ? segments[segments.length - 1]!.end : undefined;
}

function roundHalfEvenInt(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
