// Word-level timestamps as openai-whisper's timing.py computes them: cross-attention weights of
// the alignment heads over the window's text, normalised per frame, median-filtered, averaged
// over heads, DTW against the frames, then words with punctuation merged and clipped to segments.

import type { Tensor } from "@max-whisper/graph";
import type { Tokenizer } from "../tokenizer/index.js";
import { dtw, medianFilter } from "./dtw.js";
import { pyStrip } from "../decoding/compression.js";

const HOP_LENGTH = 160, SAMPLE_RATE = 16000;
const TOKENS_PER_SECOND = 50;
export const PREPEND_PUNCTUATIONS = "\"'“¿([{-";
export const APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、";

export interface WordTiming {
  word: string;
  tokens: number[];
  start: number;
  end: number;
  probability: number;
}

export interface Word {
  word: string;
  start: number;
  end: number;
  probability: number;
}

/** What alignment needs from the model (the Whisper class satisfies it). */
export interface AlignmentModel {
  alignment(enc: Tensor, tokens: readonly number[], opts: { frames?: number }): Promise<{ weights: Tensor; logits: Tensor }>;
}

/** The segment fields word timing reads and adjusts. */
export interface TimedSegment {
  seek: number;
  start: number;
  end: number;
  tokens: number[];
  words?: Word[];
}

/** numpy's round(x, 2) on float64: rint(x * 100) / 100, ties to even. */
export function npRound2(x: number): number {
  return roundHalfEven(x * 100) / 100;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; numpy (and Python's round) send it to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** timing.py's find_alignment over one window: a timing per word of text_tokens. */
export async function findAlignment(
  model: AlignmentModel, tokenizer: Tokenizer, textTokens: readonly number[], enc: Tensor, numFrames: number,
  medfiltWidth = 7,
): Promise<WordTiming[]> {
  if (textTokens.length === 0) return [];
  const sot = tokenizer.sotSequence();
  const tokens = [...sot, tokenizer.noTimestamps, ...textTokens, tokenizer.eot];
  const frames = Math.floor(numFrames / 2);
  // NOTE: a window shorter than two mel frames has no audio frame to align to.
  if (frames < 1) return [];
  const { weights, logits } = await model.alignment(enc, tokens, { frames });

  // Probability of each text token, softmax over the text vocabulary only (ids < eot).
  const V = logits.shape[2]!, eot = tokenizer.eot;
  const lg = logits.toFloat32Array();
  const probs = textTokens.map((tok, i) => {
    const row = lg.subarray((sot.length + i) * V, (sot.length + i) * V + eot);
    let max = -Infinity;
    for (let k = 0; k < eot; k++) if (row[k]! > max) max = row[k]!;
    let total = 0;
    for (let k = 0; k < eot; k++) total += Math.exp(row[k]! - max);
    return Math.exp(row[tok]! - max) / total;
  });

  const [H, T, F] = weights.shape as [number, number, number];
  const w = weights.toFloat32Array();
  // Normalise each head's weights per frame across tokens (population std), in float32 as torch.
  const norm = new Float32Array(H * T * F);
  for (let h = 0; h < H; h++) {
    for (let f = 0; f < F; f++) {
      let mean = 0;
      for (let t = 0; t < T; t++) mean += w[(h * T + t) * F + f]!;
      mean /= T;
      let v = 0;
      for (let t = 0; t < T; t++) v += (w[(h * T + t) * F + f]! - mean) ** 2;
      const std = Math.fround(Math.sqrt(v / T)), m32 = Math.fround(mean);
      for (let t = 0; t < T; t++) norm[(h * T + t) * F + f] = (w[(h * T + t) * F + f]! - m32) / std;
    }
  }
  const filtered = medianFilter(norm, H * T, F, medfiltWidth);
  // Mean over heads, rows sot.length .. T-2 (the notimestamps row and the text rows), negated.
  const N = T - 1 - sot.length;
  const cost = new Float64Array(N * F);
  for (let r = 0; r < N; r++) {
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let h = 0; h < H; h++) s += filtered[(h * T + sot.length + r) * F + f]!;
      cost[r * F + f] = -Math.fround(s / H);
    }
  }
  const [textIdx, timeIdx] = dtw(cost, N, F);

  const { words, wordTokens } = tokenizer.splitToWordTokens([...textTokens, eot]);
  if (wordTokens.length <= 1) return [];
  const boundaries = [0];
  for (let i = 0; i < wordTokens.length - 1; i++) boundaries.push(boundaries[i]! + wordTokens[i]!.length);
  const jumpTimes: number[] = [];
  for (let k = 0; k < textIdx.length; k++)
    if (k === 0 || textIdx[k]! - textIdx[k - 1]! !== 0) jumpTimes.push(timeIdx[k]! / TOKENS_PER_SECOND);

  const out: WordTiming[] = [];
  for (let i = 0; i < boundaries.length - 1; i++) {
    const a = boundaries[i]!, b = boundaries[i + 1]!;
    let p = 0;
    for (let k = a; k < b; k++) p += probs[k]!;
    out.push({ word: words[i]!, tokens: [...wordTokens[i]!], start: jumpTimes[a]!, end: jumpTimes[b]!, probability: b > a ? p / (b - a) : NaN });
  }
  return out;
}

/** Attach leading punctuation to the next word and trailing punctuation to the previous one. */
export function mergePunctuations(alignment: WordTiming[], prepended = PREPEND_PUNCTUATIONS, appended = APPEND_PUNCTUATIONS): void {
  // Python's `a in b` on strings is a substring test (the empty string is in every string).
  let i = alignment.length - 2, j = alignment.length - 1;
  while (i >= 0) {
    const prev = alignment[i]!, next = alignment[j]!;
    if (prev.word.startsWith(" ") && prepended.includes(pyStrip(prev.word))) {
      next.word = prev.word + next.word;
      next.tokens = [...prev.tokens, ...next.tokens];
      prev.word = "";
      prev.tokens = [];
    } else {
      j = i;
    }
    i--;
  }
  i = 0; j = 1;
  while (j < alignment.length) {
    const prev = alignment[i]!, next = alignment[j]!;
    if (!prev.word.endsWith(" ") && appended.includes(next.word)) {
      prev.word = prev.word + next.word;
      prev.tokens = [...prev.tokens, ...next.tokens];
      next.word = "";
      next.tokens = [];
    } else {
      i = j;
    }
    j++;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * timing.py's add_word_timestamps: align the text of one window's segments (all from the same
 * window), give each segment its words, and adjust segment and word bounds as openai-whisper does.
 */
export async function addWordTimestamps(opts: {
  segments: TimedSegment[]; model: AlignmentModel; tokenizer: Tokenizer; enc: Tensor; numFrames: number;
  lastSpeechTimestamp: number; prependPunctuations?: string; appendPunctuations?: string;
}): Promise<void> {
  const { segments, tokenizer } = opts;
  if (segments.length === 0) return;
  const eot = tokenizer.eot;
  const perSegment = segments.map((s) => s.tokens.filter((t) => t < eot));
  const alignment = await findAlignment(opts.model, tokenizer, perSegment.flat(), opts.enc, opts.numFrames);
  const durations = alignment.map((t) => t.end - t.start).filter((d) => d !== 0);
  const medianDuration = Math.min(0.7, durations.length > 0 ? median(durations) : 0);
  const maxDuration = medianDuration * 2;

  // Truncate long words at sentence boundaries (openai-whisper's stated hack).
  if (durations.length > 0) {
    const marks = ".。!！?？";
    for (let i = 1; i < alignment.length; i++) {
      const a = alignment[i]!;
      if (a.end - a.start > maxDuration) {
        if (marks.includes(a.word)) a.end = a.start + maxDuration;
        else if (marks.includes(alignment[i - 1]!.word)) a.start = a.end - maxDuration;
      }
    }
  }
  mergePunctuations(alignment, opts.prependPunctuations, opts.appendPunctuations);

  const timeOffset = (segments[0]!.seek * HOP_LENGTH) / SAMPLE_RATE;
  let lastSpeech = opts.lastSpeechTimestamp;
  let wi = 0;
  segments.forEach((segment, si) => {
    const textTokens = perSegment[si]!;
    let saved = 0;
    const words: Word[] = [];
    while (wi < alignment.length && saved < textTokens.length) {
      const t = alignment[wi]!;
      if (t.word) words.push({ word: t.word, start: npRound2(timeOffset + t.start), end: npRound2(timeOffset + t.end), probability: t.probability });
      saved += t.tokens.length;
      wi++;
    }
    if (words.length > 0) {
      const w0 = words[0]!;
      // The first and second word after a pause may not be longer than twice the median.
      if (w0.end - lastSpeech > medianDuration * 4 &&
        (w0.end - w0.start > maxDuration || (words.length > 1 && words[1]!.end - w0.start > maxDuration * 2))) {
        if (words.length > 1 && words[1]!.end - words[1]!.start > maxDuration) {
          const boundary = Math.max(words[1]!.end / 2, words[1]!.end - maxDuration);
          w0.end = words[1]!.start = boundary;
        }
        w0.start = Math.max(0, w0.end - maxDuration);
      }
      // Prefer the segment's own start when the first word is too long, else the word's.
      if (segment.start < w0.end && segment.start - 0.5 > w0.start) w0.start = Math.max(0, Math.min(w0.end - medianDuration, segment.start));
      else segment.start = w0.start;
      const wl = words[words.length - 1]!;
      if (segment.end > wl.start && segment.end + 0.5 < wl.end) wl.end = Math.max(wl.start + medianDuration, segment.end);
      else segment.end = wl.end;
      lastSpeech = segment.end;
    }
    segment.words = words;
  });
}
