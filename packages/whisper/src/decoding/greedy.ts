// Greedy decoding over a kv-cache decoder session, with Whisper's suppression rules
// (SuppressBlank at the first sampled step, SuppressTokens at every step) and end-of-text
// handling. Timestamp rules, sampling and fallback belong to transcribe, not here.

/** What greedy decoding needs from a decoder: feed new tokens, get each row's last logits. */
export interface StepDecoder {
  step(tokens: number[][]): Promise<Float32Array[]>;
}

export interface GreedyDecodeOptions {
  /** The prompt of each batch row (all the same length). */
  prompt: readonly (readonly number[])[];
  /** Most tokens to sample after the prompt. */
  maxNewTokens: number;
  /** Ids set to -inf at every step. */
  suppress?: readonly number[];
  /** Ids set to -inf at the first sampled step only (Whisper: encode(" ") + eot). */
  suppressBlank?: readonly number[];
  /** End-of-text id. */
  eot: number;
  /** Stop a row at end of text (which is not returned); when false, eot is an ordinary token. */
  stopAtEnd?: boolean;
}

export interface GreedyDecodeResult {
  /** Sampled tokens per row, after the prompt. */
  tokens: number[][];
  /** The winning (filtered) logit of each sampled token, per row. */
  scores: number[][];
}

/** Index of the largest value, skipping suppressed ids; the first wins ties, like torch.argmax. */
export function argmaxSuppressed(logits: Float32Array, suppressed?: ReadonlySet<number>): number {
  let best = -1, bestV = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    // The set is consulted only for a would-be new best: a lookup per element costs ~1 ms a step.
    if ((v > bestV || best < 0) && !suppressed?.has(i)) { best = i; bestV = v; }
  }
  return best;
}

export async function greedyDecode(dec: StepDecoder, opts: GreedyDecodeOptions): Promise<GreedyDecodeResult> {
  const rows = opts.prompt.length;
  if (rows === 0) throw new RangeError("[greedy] prompt: expected at least one row, got none");
  const plen = opts.prompt[0]!.length;
  if (plen === 0) throw new RangeError("[greedy] prompt: expected at least one token, got an empty prompt");
  for (const [i, p] of opts.prompt.entries())
    if (p.length !== plen) throw new RangeError(`[greedy] prompt rows differ in length: row 0 has ${plen}, row ${i} has ${p.length}`);
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0)
    throw new RangeError(`[greedy] maxNewTokens: expected a non-negative integer, got ${opts.maxNewTokens}`);
  const stopAtEnd = opts.stopAtEnd ?? true;
  const always = new Set(opts.suppress ?? []);
  const first = new Set([...always, ...(opts.suppressBlank ?? [])]);
  const tokens: number[][] = Array.from({ length: rows }, () => []);
  const scores: number[][] = Array.from({ length: rows }, () => []);
  const done = new Array<boolean>(rows).fill(false);
  let feed = opts.prompt.map((p) => [...p]);
  for (let s = 0; s < opts.maxNewTokens; s++) {
    const logits = await dec.step(feed);
    const next: number[] = [];
    for (let r = 0; r < rows; r++) {
      // A finished row keeps feeding eot so the batch stays in lockstep (as decoding.py does).
      if (done[r]) { next.push(opts.eot); continue; }
      const id = argmaxSuppressed(logits[r]!, s === 0 ? first : always);
      next.push(id);
      if (stopAtEnd && id === opts.eot) { done[r] = true; continue; }
      tokens[r]!.push(id);
      scores[r]!.push(logits[r]![id]!);
    }
    if (done.every(Boolean)) break;
    feed = next.map((t) => [t]);
  }
  return { tokens, scores };
}
