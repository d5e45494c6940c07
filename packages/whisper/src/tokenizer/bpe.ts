// Byte-level BPE core shared by the tiktoken and Hugging Face loaders: regex pre-tokenisation,
// merges driven by a min-heap (O(n log n) per word), a per-word cache, special-token handling
// with tiktoken's rules, and byte-exact decoding. Whisper specifics live in tokenizer.ts.

/** Whisper's (GPT-2's) split regex as the tiktoken fixtures list it. */
export const WHISPER_PAT_STR = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/**
 * Compile a tiktoken/Rust-regex pattern for JavaScript. Rust's `\s` is Unicode White_Space,
 * while JS `\s` also matches U+FEFF and misses U+0085, so both are spelled out as properties.
 */
export function compileSplitRegex(pat: string): RegExp {
  const js = pat.replace(/\\s/g, String.raw`\p{White_Space}`).replace(/\\S/g, String.raw`\P{White_Space}`);
  return new RegExp(js, "gu");
}

/**
 * Pieces are byte strings: each char holds one byte (latin1), so Map lookups on them are fast
 * and exact. `pairRank(piece, a, b, c)` ranks merging piece[a,b) with piece[b,c); lower merges
 * first, undefined never merges. `tokenOf(bytes)` gives the id of a final part.
 */
export interface BpeModel {
  pairRank(piece: string, a: number, b: number, c: number): number | undefined;
  tokenOf(bytes: string): number | undefined;
  /** Look the whole piece up before merging (tiktoken does; HF only with ignore_merges). */
  wholeWordFirst: boolean;
}

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}

// Min-heap of keys rank·2^32 + position (exact in float64 for rank < 2^20), so ties between equal
// ranks resolve to the leftmost pair, as tiktoken's linear scan does.
class KeyHeap {
  private a = new Float64Array(64);
  size = 0;
  push(k: number): void {
    if (this.size === this.a.length) { const b = new Float64Array(this.a.length * 2); b.set(this.a); this.a = b; }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= k) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = k;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && a[c + 1]! < a[c]!) c++;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const POS = 2 ** 32;

/** Split one byte-string piece into its BPE parts' token ids. */
export function bytePairEncode(model: BpeModel, piece: string): number[] {
  if (model.wholeWordFirst) {
    const whole = model.tokenOf(piece);
    if (whole !== undefined) return [whole];
  }
  const n = piece.length;
  // Parts form a linked list over their start offsets; next[i] = start of the following part.
  const next = new Int32Array(n + 1), prev = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) { next[i] = i + 1; prev[i] = i - 1; }
  const heap = new KeyHeap();
  const consider = (i: number): void => {
    if (i < 0 || i >= n) return;
    const j = next[i]!;
    if (j >= n) return;
    const r = model.pairRank(piece, i, j, next[j]!);
    if (r !== undefined) heap.push(r * POS + i);
  };
  for (let i = 0; i < n - 1; i++) consider(i);
  const alive = new Uint8Array(n).fill(1);
  while (heap.size > 0) {
    const key = heap.pop();
    const i = key % POS, r = (key - i) / POS;
    // Skip stale entries: a pair's rank names its exact bytes, and parts only grow, so the
    // current pair at i has the popped rank only if it is the pair that was pushed.
    if (!alive[i]) continue;
    const j = next[i]!;
    if (j >= n || model.pairRank(piece, i, j, next[j]!) !== r) continue;
    alive[j] = 0;
    next[i] = next[j]!;
    prev[next[j]!] = i;
    consider(prev[i]!);
    consider(i);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i = next[i]!) {
    const bytes = piece.slice(i, next[i]!);
    const id = model.tokenOf(bytes);
    if (id === undefined)
      throw new EncodeError(`[tokenizer] BPE produced a part with no token: bytes ${Buffer.from(bytes, "latin1").toString("hex")}`);
    out.push(id);
  }
  return out;
}

export type SpecialSet = "all" | Iterable<string>;

export interface EncodeOptions {
  /** Special-token texts encoded as their ids ("all" for every one). Default: none. */
  allowedSpecial?: SpecialSet;
  /** Special-token texts that make encode throw when present. Default "all" (minus allowed). */
  disallowedSpecial?: SpecialSet;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Byte-level BPE with special tokens; ids index `tokenBytes` or the special table. */
export class BpeEncoder {
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly specialById = new Map<number, string>();
  private readonly specialRegex: RegExp | undefined;
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly model: BpeModel,
    /** Bytes (latin1 string) of each ordinary id; holes are ids that are not ordinary tokens. */
    private readonly tokenBytes: (string | undefined)[],
    specialTokens: ReadonlyMap<string, number>,
    private readonly splitRegex: RegExp = compileSplitRegex(WHISPER_PAT_STR),
  ) {
    this.specialTokens = specialTokens;
    for (const [t, id] of specialTokens) this.specialById.set(id, t);
    const keys = [...specialTokens.keys()].sort((a, b) => b.length - a.length);
    this.specialRegex = keys.length ? new RegExp(keys.map(escapeRegex).join("|"), "g") : undefined;
    this.nVocab = Math.max(tokenBytes.length, ...[...this.specialById.keys()].map((id) => id + 1));
  }

  /** Largest id plus one. */
  readonly nVocab: number;

  isSpecial(id: number): boolean {
    return this.specialById.has(id);
  }

  /** Encode text with no special-token handling at all (special text is plain text). */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    for (const m of text.matchAll(this.splitRegex)) this.encodePiece(m[0], out);
    return out;
  }

  private encodePiece(piece: string, out: number[]): void {
    let ids = this.cache.get(piece);
    if (!ids) {
      ids = bytePairEncode(this.model, Buffer.from(piece, "utf8").toString("latin1"));
      if (this.cache.size > 200_000) this.cache.clear();
      this.cache.set(piece, ids);
    }
    for (const id of ids) out.push(id);
  }

  /**
   * Encode like tiktoken's `encode`: allowed special-token texts become their ids; any
   * disallowed special-token text (by default every one not allowed) throws.
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (!this.specialRegex) return this.encodeOrdinary(text);
    // Fast path for the default options: with no special-token text there is nothing to decide.
    if (opts.allowedSpecial === undefined && opts.disallowedSpecial === undefined) {
      this.specialRegex.lastIndex = 0;
      const hit = this.specialRegex.exec(text);
      this.specialRegex.lastIndex = 0;
      if (!hit) return this.encodeOrdinary(text);
    }
    const allowed = opts.allowedSpecial === "all" ? new Set(this.specialTokens.keys()) : new Set(opts.allowedSpecial ?? []);
    const disallowed = (opts.disallowedSpecial ?? "all") === "all"
      ? new Set([...this.specialTokens.keys()].filter((t) => !allowed.has(t)))
      : new Set(opts.disallowedSpecial as Iterable<string>);
    for (const t of allowed)
      if (!this.specialTokens.has(t)) throw new EncodeError(`[tokenizer.encode] allowedSpecial: unknown special token '${t}'`);
    const out: number[] = [];
    let last = 0;
    for (const m of text.matchAll(this.specialRegex)) {
      const tok = m[0];
      if (disallowed.has(tok))
        throw new EncodeError(`[tokenizer.encode] text contains the special token '${tok}', which is not allowed: pass allowedSpecial to encode it, or encodeOrdinary to treat it as text`);
      if (!allowed.has(tok)) continue;
      for (const p of text.slice(last, m.index).matchAll(this.splitRegex)) this.encodePiece(p[0], out);
      out.push(this.specialTokens.get(tok)!);
      last = m.index! + tok.length;
    }
    for (const p of text.slice(last).matchAll(this.splitRegex)) this.encodePiece(p[0], out);
    return out;
  }

  /** The raw bytes of a token sequence; special ids give their literal text. */
  decodeBytes(ids: Iterable<number>): Uint8Array {
    let s = "";
    for (const id of ids) s += this.tokenByteString(id);
    return Buffer.from(s, "latin1");
  }

  /** Bytes of one id as a latin1 string. */
  tokenByteString(id: number): string {
    const b = this.tokenBytes[id];
    if (b !== undefined) return b;
    const sp = this.specialById.get(id);
    if (sp !== undefined) return Buffer.from(sp, "utf8").toString("latin1");
    throw new RangeError(`[tokenizer.decode] unknown token id: expected 0 <= id < ${this.nVocab}, got ${id}`);
  }

  /** Decode to text; invalid UTF-8 becomes U+FFFD (tiktoken's errors="replace"). */
  decode(ids: Iterable<number>): string {
    return UTF8.decode(this.decodeBytes(ids));
  }
}

// ignoreBOM keeps a leading U+FEFF in the text, as Python's bytes.decode does.
export const UTF8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
