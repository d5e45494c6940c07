// Whisper's logit filters (openai-whisper decoding.py): SuppressBlank, SuppressTokens and
// ApplyTimestampRules, applied in place to one row's last-position logits before a token is
// picked. The rows' tokens include the initial (prompt + sot) tokens, as in decoding.py.

import type { Tokenizer } from "../tokenizer/index.js";

export interface LogitFilter {
  /** Mask `logits` (one row, [n_vocab]) given that row's tokens so far. */
  apply(logits: Float32Array, tokens: readonly number[]): void;
}

/** " " and end-of-text are masked at the first sampled position only. */
export class SuppressBlank implements LogitFilter {
  private readonly ids: readonly number[];
  constructor(tokenizer: Tokenizer, private readonly sampleBegin: number) {
    this.ids = tokenizer.suppressBlankTokens;
  }
  apply(logits: Float32Array, tokens: readonly number[]): void {
    if (tokens.length === this.sampleBegin) for (const id of this.ids) logits[id] = -Infinity;
  }
}

/** A fixed set of ids masked at every step. */
export class SuppressTokens implements LogitFilter {
  constructor(readonly ids: readonly number[]) {}
  apply(logits: Float32Array): void {
    for (const id of this.ids) logits[id] = -Infinity;
  }
}

/**
 * Timestamp rules: timestamps come in pairs (except right before eot), never decrease, each
 * segment has a nonzero length, the first token is a timestamp no later than
 * `maxInitialTimestampIndex`, and when the timestamps' total probability beats every text token,
 * a timestamp is forced.
 */
export class ApplyTimestampRules implements LogitFilter {
  private readonly eot: number;
  private readonly tsBegin: number;
  private readonly noTimestamps: number;

  constructor(tokenizer: Tokenizer, private readonly sampleBegin: number, private readonly maxInitialTimestampIndex?: number) {
    this.eot = tokenizer.eot;
    this.tsBegin = tokenizer.timestampBegin;
    this.noTimestamps = tokenizer.noTimestamps;
  }

  apply(logits: Float32Array, tokens: readonly number[]): void {
    const tb = this.tsBegin, n = logits.length;
    logits[this.noTimestamps] = -Infinity;

    const seq = tokens.slice(this.sampleBegin);
    const lastWasTimestamp = seq.length >= 1 && seq[seq.length - 1]! >= tb;
    const penultimateWasTimestamp = seq.length < 2 || seq[seq.length - 2]! >= tb;
    if (lastWasTimestamp) {
      if (penultimateWasTimestamp) logits.fill(-Infinity, tb, n); // has to be a non-timestamp
      else logits.fill(-Infinity, 0, this.eot); // cannot be normal text
    }

    let lastTs = -1;
    for (const t of seq) if (t >= tb) lastTs = t;
    if (lastTs >= 0) {
      // No decreasing timestamps, and a segment's end must differ from its start (else the
      // decoder could loop on zero-length segments).
      const upTo = lastWasTimestamp && !penultimateWasTimestamp ? lastTs : lastTs + 1;
      logits.fill(-Infinity, tb, Math.min(upTo, n));
    }

    if (tokens.length === this.sampleBegin) {
      logits.fill(-Infinity, 0, tb);
      if (this.maxInitialTimestampIndex !== undefined) logits.fill(-Infinity, tb + this.maxInitialTimestampIndex + 1, n);
    }

    // Compare in log-softmax space: logsumexp over timestamps against the best text token.
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
    if (max === -Infinity) return;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp(logits[i]! - max);
    const logZ = max + Math.log(total);
    let tsMax = -Infinity;
    for (let i = tb; i < n; i++) if (logits[i]! > tsMax) tsMax = logits[i]!;
    let tsSum = 0;
    if (tsMax > -Infinity) for (let i = tb; i < n; i++) tsSum += Math.exp(logits[i]! - tsMax);
    const timestampLogprob = tsMax === -Infinity ? -Infinity : tsMax + Math.log(tsSum) - logZ;
    let textMax = -Infinity;
    for (let i = 0; i < tb; i++) if (logits[i]! > textMax) textMax = logits[i]!;
    const maxTextLogprob = textMax - logZ;
    if (timestampLogprob > maxTextLogprob) logits.fill(-Infinity, 0, tb);
  }
}
