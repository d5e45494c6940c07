// DecoderSession: one window's decoder state (cross K/V computed once, the growing self-attention
// kv-cache) over the compiled decoder graphs. Owns no graph building. On a backend with memory of
// its own (cuda) the kv-cache and cross K/V stay there from step to step (executeOnDevice), and
// only the tokens go up and the logits come back; elsewhere they are host tensors.

import { type AnyTensor, type Executable, Tensor, isDeviceTensor } from "@max-whisper/graph";

/** The compiled decoder variants a session runs; compiled lazily and shared per Whisper. */
export interface DecoderExecutables {
  /** First feed, no cache: last-position logits / every position's logits. */
  first(all: boolean): Promise<Executable>;
  /** Later feeds with the kv-cache as inputs. */
  cached(all: boolean): Promise<Executable>;
}

export interface DecoderSessionOptions {
  /** step() returns every fed position's logits ([n·n_vocab] per row) instead of the last one. */
  logitsAll?: boolean;
  /**
   * Decoder rows, a multiple of the encoder batch: each window gets rows/batch consecutive rows
   * (torch's repeat_interleave), e.g. best-of-n sampling of one window. Default: the batch.
   */
  rows?: number;
}

export class DecoderSession {
  private kv: AnyTensor[] | null = null;
  private fed: number[][];
  private disposed = false;
  private busy = false;

  /** Encoder windows; each has batch / windows decoder rows. */
  readonly windows: number;

  /** `cross` (host or device tensors) becomes the session's: dispose() frees device ones. */
  constructor(
    private readonly exes: DecoderExecutables,
    private cross: readonly AnyTensor[],
    /** Decoder rows (see DecoderSessionOptions.rows). */
    readonly batch: number,
    readonly nVocab: number,
    readonly maxLength: number,
    private readonly opts: DecoderSessionOptions = {},
  ) {
    this.fed = Array.from({ length: batch }, () => []);
    this.windows = cross[0]?.shape[0] ?? batch;
    if (!Number.isInteger(batch) || batch < 1 || batch % this.windows !== 0)
      throw new RangeError(`[DecoderSession] rows: expected a positive multiple of the encoder batch ${this.windows}, got ${batch}`);
    if (batch !== this.windows) {
      const per = batch / this.windows;
      this.cross = cross.map((t) => gatherRows(takeHost(t), Array.from({ length: batch }, (_, r) => Math.floor(r / per))));
    }
  }

  /** Tokens fed so far (the cached context), per row. */
  get tokens(): readonly (readonly number[])[] {
    return this.fed;
  }
  /** Positions in the kv-cache. */
  get length(): number {
    return this.fed[0]!.length;
  }

  /**
   * Feed new tokens (the same count per row) and return each row's logits: the last position
   * ([n_vocab]), or with `logitsAll` every fed position ([n·n_vocab], row-major).
   */
  async step(tokens: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const all = this.opts.logitsAll ?? false;
    const logits = await this.run(tokens, all);
    const [, n, v] = logits.shape as [number, number, number];
    const data = logits.toFloat32Array();
    return Array.from({ length: this.batch }, (_, r) => data.subarray(r * n * v, (r + 1) * n * v));
  }

  /** Feed new tokens and return the logits of every fed position, [batch, n, n_vocab]. */
  async stepAll(tokens: readonly (readonly number[])[]): Promise<Tensor> {
    return this.run(tokens, true);
  }

  /**
   * Keep rows in a new order (indices into the current rows; repeats allowed), as
   * openai-whisper's rearrange_kv_cache does for beam search. The row count stays the same.
   */
  reorder(indices: readonly number[]): void {
    this.check();
    if (indices.length !== this.batch || !indices.every((i) => Number.isInteger(i) && i >= 0 && i < this.batch))
      throw new RangeError(`[DecoderSession.reorder] indices: expected ${this.batch} row indices in [0, ${this.batch}), got [${indices.join(", ")}]`);
    // Rows of one window may move only within that window: their cross K/V stay in place.
    const per = this.batch / this.windows;
    for (const [r, i] of indices.entries())
      if (Math.floor(r / per) !== Math.floor(i / per))
        throw new RangeError(`[DecoderSession.reorder] row ${r} cannot take row ${i}: they decode different windows`);
    this.fed = indices.map((i) => [...this.fed[i]!]);
    // Rare (beam search): through the host; the next step puts the cache back on the device.
    if (this.kv) this.kv = this.kv.map((t) => gatherRows(takeHost(t), indices));
  }

  /** Forget the last n positions (for example to re-decode from an earlier point). */
  rewind(n: number): void {
    this.check();
    if (!Number.isInteger(n) || n < 0 || n > this.length)
      throw new RangeError(`[DecoderSession.rewind] n: expected an integer in [0, ${this.length}], got ${n}`);
    if (n === 0) return;
    const keep = this.length - n;
    this.fed = this.fed.map((r) => r.slice(0, keep));
    if (keep === 0) this.releaseKV();
    else this.kv = this.kv!.map((t) => sliceSeq(takeHost(t), keep));
  }

  /** Drop the whole kv-cache; the cross K/V (the audio) stay. */
  reset(): void {
    this.check();
    this.releaseKV();
    this.fed = this.fed.map(() => []);
  }

  dispose(): void {
    if (this.disposed) return;
    this.releaseKV();
    for (const t of this.cross) if (isDeviceTensor(t)) t.dispose();
    this.disposed = true;
  }

  private releaseKV(): void {
    for (const t of this.kv ?? []) if (isDeviceTensor(t)) t.dispose();
    this.kv = null;
  }

  private async run(tokens: readonly (readonly number[])[], all: boolean): Promise<Tensor> {
    // Each feed extends the cache the previous one returned: overlapping calls would fork it.
    this.check();
    this.busy = true;
    try {
      return await this.feed(tokens, all);
    } finally {
      this.busy = false;
    }
  }

  private async feed(tokens: readonly (readonly number[])[], all: boolean): Promise<Tensor> {
    if (tokens.length !== this.batch)
      throw new RangeError(`[DecoderSession.step] tokens: expected ${this.batch} rows, got ${tokens.length}`);
    const n = tokens[0]!.length;
    if (n === 0) throw new RangeError("[DecoderSession.step] tokens: expected at least one token per row, got none");
    const flat = new Int32Array(this.batch * n);
    for (const [r, row] of tokens.entries()) {
      if (row.length !== n) throw new RangeError(`[DecoderSession.step] tokens: rows differ in length: row 0 has ${n}, row ${r} has ${row.length}`);
      for (const [i, t] of row.entries()) {
        if (!Number.isInteger(t) || t < 0 || t >= this.nVocab)
          throw new RangeError(`[DecoderSession.step] token ${t} (row ${r}, position ${i}) is outside the vocabulary [0, ${this.nVocab})`);
        flat[r * n + i] = t;
      }
    }
    if (this.length + n > this.maxLength)
      throw new RangeError(`[DecoderSession.step] context full: ${this.length} cached + ${n} new tokens exceed the text context of ${this.maxLength}`);
    const tok = new Tensor("i32", [this.batch, n], flat);
    // A synchronous backend (the interpreter) resolves at once, and a decode loop over resolved
    // promises never lets timers or I/O run; one macrotask turn per step keeps the process live.
    await new Promise<void>((r) => setImmediate(r));
    const exe = await (this.kv ? this.exes.cached(all) : this.exes.first(all));
    const inputs = this.kv ? [tok, ...this.kv, ...this.cross] : [tok, ...this.cross];
    // Outputs: the logits, then the new kv-cache, which stays on the device when there is one.
    const [logits, ...kv] = exe.executeOnDevice
      ? await exe.executeOnDevice(exe.graph.outputs.map((_, i) => i > 0), ...inputs)
      : await exe.execute(...(inputs as Tensor[]));
    this.releaseKV();
    this.kv = kv;
    this.fed = this.fed.map((r, i) => [...r, ...tokens[i]!]);
    return logits as Tensor;
  }

  private check(): void {
    if (this.disposed) throw new Error("[DecoderSession] used after dispose()");
    if (this.busy) throw new Error("[DecoderSession] used while a step is running: await each step first");
  }
}

/** A host tensor for t: t itself, or a copy of a device tensor, which is then freed. */
function takeHost(t: AnyTensor): Tensor {
  if (!isDeviceTensor(t)) return t;
  const host = t.toHost();
  t.dispose();
  return host;
}

/** Rows `indices` of a [B, T, d] tensor (any dtype), in that order (a copy). */
function gatherRows(t: Tensor, indices: readonly number[]): Tensor {
  const [, len, d] = t.shape as [number, number, number];
  const n = len * d, out = new Tensor(t.dtype, [indices.length, len, d]);
  const src = t.data as Float32Array, dst = out.data as Float32Array;
  indices.forEach((i, r) => dst.set(src.subarray(i * n, (i + 1) * n), r * n));
  return out;
}

/** The first `keep` positions of a [B, T, d] tensor (a copy). */
function sliceSeq(t: Tensor, keep: number): Tensor {
  const [b, len, d] = t.shape as [number, number, number];
  const src = t.toFloat32Array(), out = new Float32Array(b * keep * d);
  for (let i = 0; i < b; i++) out.set(src.subarray(i * len * d, i * len * d + keep * d), i * keep * d);
  return new Tensor("f32", [b, keep, d], out);
}
