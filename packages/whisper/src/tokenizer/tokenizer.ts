// Whisper's tokenizer (whisper/tokenizer.py): the two tiktoken encodings with Whisper's special
// tokens, or a Hugging Face tokenizer.json, plus the token ids and helpers decoding needs.
// Loading files lives here; the BPE algorithm lives in bpe.ts.

import { readFileSync } from "node:fs";
import { BpeEncoder, type BpeModel, type EncodeOptions, compileSplitRegex, WHISPER_PAT_STR } from "./bpe.js";
import { LANGUAGE_CODES, normalizeLanguage } from "./languages.js";

export type Task = "transcribe" | "translate";

export interface TokenizerOptions {
  /** Number of language tokens (99, or 100 for large-v3). Default 99. */
  numLanguages?: number;
  /** Language code or name used by sotSequence() and languageToken(). */
  language?: string;
  task?: Task;
}

// Languages written without spaces, where words are split at unicode boundaries instead.
const UNSPACED = new Set(["zh", "ja", "th", "lo", "my", "yue"]);
// Python's string.punctuation; whisper tests `subword.strip() in string.punctuation`, a
// substring test, so "" and runs like "()" count as punctuation too.
const PY_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
// Characters Python's str.strip() removes (str.isspace), which differ from JS trim().
const PY_STRIP = /^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Whisper's special tokens in order, numbered consecutively from `firstId`. */
export function whisperSpecialTokens(firstId: number, numLanguages: number): Map<string, number> {
  if (!Number.isInteger(numLanguages) || numLanguages < 0 || numLanguages > LANGUAGE_CODES.length)
    throw new RangeError(`[tokenizer] numLanguages: expected 0..${LANGUAGE_CODES.length}, got ${numLanguages}`);
  const names = [
    "<|endoftext|>", "<|startoftranscript|>",
    ...LANGUAGE_CODES.slice(0, numLanguages).map((c) => `<|${c}|>`),
    "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>",
    ...Array.from({ length: 1501 }, (_, i) => `<|${(i * 0.02).toFixed(2)}|>`),
  ];
  return new Map(names.map((n, i) => [n, firstId + i]));
}

/** Parse a tiktoken rank file (`base64(bytes) rank` per line) into bytes-by-rank. */
export function parseTiktokenRanks(text: string, name = "<ranks>"): string[] {
  const bytes: string[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (!line.trim()) continue;
    const parts = line.trim().split(/\s+/);
    // The multilingual file's last line is "= 50256": base64 "=" is the empty byte string.
    const rank = Number(parts.length === 2 ? parts[1] : NaN);
    if (!Number.isInteger(rank) || rank < 0)
      throw new Error(`[tokenizer] ${name}:${lineNo}: expected "base64 rank", got "${line.slice(0, 60)}"`);
    bytes[rank] = Buffer.from(parts[0]!, "base64").toString("latin1");
  }
  for (let i = 0; i < bytes.length; i++)
    if (bytes[i] === undefined) throw new Error(`[tokenizer] ${name}: rank ${i} is missing`);
  return bytes;
}

/** Merge priority = rank of the merged bytes (tiktoken's rule). */
function tiktokenModel(ranks: Map<string, number>): BpeModel {
  return {
    pairRank: (p, a, _b, c) => ranks.get(p.slice(a, c)),
    tokenOf: (b) => ranks.get(b),
    wholeWordFirst: true,
  };
}

export class Tokenizer {
  readonly numLanguages: number;
  readonly language: string | undefined;
  readonly task: Task | undefined;
  private nonSpeech: number[] | undefined;
  private langCodes: string[] | undefined;

  constructor(readonly encoding: BpeEncoder, opts: TokenizerOptions & { numLanguages: number }) {
    this.numLanguages = opts.numLanguages;
    this.language = opts.language !== undefined ? normalizeLanguage(opts.language) : undefined;
    this.task = opts.task;
    if (this.task !== undefined && this.task !== "transcribe" && this.task !== "translate")
      throw new RangeError(`[tokenizer] task: expected "transcribe" or "translate", got "${String(this.task)}"`);
    for (const t of ["<|endoftext|>", "<|startoftranscript|>", "<|transcribe|>", "<|translate|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>", "<|0.00|>"])
      if (!encoding.specialTokens.has(t)) throw new Error(`[tokenizer] not a Whisper vocabulary: special token ${t} is missing`);
    if (this.language !== undefined && !this.allLanguageCodes.includes(this.language))
      throw new RangeError(`[tokenizer] language "${this.language}" has no token in this vocabulary (${this.numLanguages} languages)`);
  }

  /**
   * Load a tiktoken rank file (gpt2.tiktoken or multilingual.tiktoken) and add Whisper's special
   * tokens after the ranks. `multilingual` (default: the file has more than 50256 ranks) sets
   * language "en" and task "transcribe" as defaults, like whisper's get_tokenizer.
   */
  static fromTiktoken(file: string | URL, opts: TokenizerOptions & { multilingual?: boolean } = {}): Tokenizer {
    const name = String(file instanceof URL ? file.pathname : file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`[tokenizer] cannot read tiktoken file ${name}: ${(e as Error).message}`);
    }
    const bytes = parseTiktokenRanks(text, name);
    const ranks = new Map<string, number>();
    bytes.forEach((b, i) => { if (b.length > 0) ranks.set(b, i); });
    const numLanguages = opts.numLanguages ?? 99;
    const enc = new BpeEncoder(tiktokenModel(ranks), bytes, whisperSpecialTokens(bytes.length, numLanguages));
    const multilingual = opts.multilingual ?? bytes.length > 50256;
    return new Tokenizer(enc, {
      numLanguages,
      language: opts.language ?? (multilingual ? "en" : undefined),
      task: opts.task ?? (multilingual ? "transcribe" : undefined),
    });
  }

  /**
   * Load a Hugging Face tokenizer.json (ByteLevel BPE: vocab, merges, added_tokens). Added
   * tokens are the special tokens; timestamps are added after <|notimestamps|> when the file
   * lacks them, as older Whisper tokenizer.json files do.
   */
  static fromHuggingFace(path: string, opts: TokenizerOptions = {}): Tokenizer {
    let json: HfTokenizerJson;
    try {
      json = JSON.parse(readFileSync(path, "utf8")) as HfTokenizerJson;
    } catch (e) {
      throw new Error(`[tokenizer] cannot read tokenizer.json ${path}: ${(e as Error).message}`);
    }
    const { encoder, numLanguages } = hfEncoder(json, path);
    const multilingual = encoder.specialTokens.has("<|en|>") && encoder.specialTokens.get("<|endoftext|>")! > 50256;
    return new Tokenizer(encoder, {
      numLanguages: opts.numLanguages ?? numLanguages,
      language: opts.language ?? (multilingual ? "en" : undefined),
      task: opts.task ?? (multilingual ? "transcribe" : undefined),
    });
  }

  /** The same vocabulary with another language or task. */
  withOptions(opts: { language?: string; task?: Task }): Tokenizer {
    return new Tokenizer(this.encoding, {
      numLanguages: this.numLanguages,
      language: "language" in opts ? opts.language : this.language,
      task: "task" in opts ? opts.task : this.task,
    });
  }

  get specialTokens(): ReadonlyMap<string, number> {
    return this.encoding.specialTokens;
  }
  get nVocab(): number {
    return this.encoding.nVocab;
  }
  private special(name: string): number {
    return this.encoding.specialTokens.get(name)!;
  }
  get eot(): number { return this.special("<|endoftext|>"); }
  get sot(): number { return this.special("<|startoftranscript|>"); }
  get transcribe(): number { return this.special("<|transcribe|>"); }
  get translate(): number { return this.special("<|translate|>"); }
  get sotLm(): number { return this.special("<|startoflm|>"); }
  get sotPrev(): number { return this.special("<|startofprev|>"); }
  get noSpeech(): number { return this.special("<|nospeech|>"); }
  get noTimestamps(): number { return this.special("<|notimestamps|>"); }
  get timestampBegin(): number { return this.special("<|0.00|>"); }

  encode(text: string, opts?: EncodeOptions): number[] {
    return this.encoding.encode(text, opts);
  }
  encodeOrdinary(text: string): number[] {
    return this.encoding.encodeOrdinary(text);
  }
  /**
   * All ids decoded (tiktoken's decode), special and timestamp ids as their literal `<|…|>` text.
   * NOTE: openai-whisper's Tokenizer.decode drops timestamp ids first; that is decodeText here,
   * and it is what compression ratios and segment texts must use to match openai-whisper.
   */
  decode(ids: Iterable<number>): string {
    return this.encoding.decode(ids);
  }
  /** whisper's Tokenizer.decode: timestamp ids (>= timestampBegin) are dropped first. */
  decodeText(ids: Iterable<number>): string {
    const tb = this.timestampBegin;
    return this.encoding.decode([...ids].filter((t) => t < tb));
  }
  /** whisper's decode_with_timestamps: the same as decode(). */
  decodeWithTimestamps(ids: Iterable<number>): string {
    return this.encoding.decode(ids);
  }
  decodeBytes(ids: Iterable<number>): Uint8Array {
    return this.encoding.decodeBytes(ids);
  }

  /** Language token of a code or name (default: this tokenizer's language). */
  languageToken(language: string | undefined = this.language): number {
    if (language === undefined) throw new Error(`[tokenizer] languageToken: this tokenizer has no language set`);
    const code = normalizeLanguage(language);
    const id = this.encoding.specialTokens.get(`<|${code}|>`);
    if (id === undefined || !this.allLanguageCodes.includes(code))
      throw new RangeError(`[tokenizer] language "${code}" has no token in this vocabulary (${this.numLanguages} languages)`);
    return id;
  }

  /** Language token ids in vocabulary order (the first numLanguages languages). */
  get allLanguageTokens(): number[] {
    return this.allLanguageCodes.map((c) => this.special(`<|${c}|>`));
  }
  get allLanguageCodes(): string[] {
    this.langCodes ??= LANGUAGE_CODES.slice(0, this.numLanguages).filter((c) => this.encoding.specialTokens.has(`<|${c}|>`));
    return [...this.langCodes];
  }
  /** The language code of a language token id, or undefined. */
  languageOf(id: number): string | undefined {
    const text = this.encoding.isSpecial(id) ? this.encoding.decode([id]) : "";
    const code = text.slice(2, -2);
    return this.allLanguageCodes.includes(code) ? code : undefined;
  }

  /** [sot, language?, task?], with this tokenizer's language and task unless given. */
  sotSequence(opts: { language?: string; task?: Task } = {}): number[] {
    const language = "language" in opts ? opts.language : this.language;
    const task = "task" in opts ? opts.task : this.task;
    const seq = [this.sot];
    if (language !== undefined) seq.push(this.languageToken(language));
    if (task !== undefined) seq.push(task === "translate" ? this.translate : this.transcribe);
    return seq;
  }
  sotSequenceIncludingNotimestamps(opts: { language?: string; task?: Task } = {}): number[] {
    return [...this.sotSequence(opts), this.noTimestamps];
  }

  /**
   * Tokens for speaker tags and non-speech annotations (whisper's non_speech_tokens): symbols
   * that encode to one token, alone or after a space; the first token of ♩♪♫♬♭♮♯ either way;
   * and " -" and " '" (allowed between words, not at a word's start).
   */
  get nonSpeechTokens(): number[] {
    if (this.nonSpeech) return [...this.nonSpeech];
    const symbols = [...'"#()*+/:;<=>@[\\]^_`{|}~「」『』'];
    symbols.push(..."<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split(" "));
    const misc = [..."♩♪♫♬♭♮♯"];
    const result = new Set([this.encodeOrdinary(" -")[0]!, this.encodeOrdinary(" '")[0]!]);
    for (const s of [...symbols, ...misc]) {
      for (const ids of [this.encodeOrdinary(s), this.encodeOrdinary(" " + s)])
        if (ids.length === 1 || misc.includes(s)) result.add(ids[0]!);
    }
    this.nonSpeech = [...result].sort((a, b) => a - b);
    return [...this.nonSpeech];
  }

  /** decoding.py's suppress_tokens="-1": non-speech plus the task and bookkeeping tokens, sorted. */
  get defaultSuppressTokens(): number[] {
    const s = new Set([...this.nonSpeechTokens, this.transcribe, this.translate, this.sot, this.sotPrev, this.sotLm, this.noSpeech]);
    return [...s].sort((a, b) => a - b);
  }

  /** What SuppressBlank masks at the first sampled step: encode(" ") + [eot]. */
  get suppressBlankTokens(): number[] {
    return [...this.encodeOrdinary(" "), this.eot];
  }

  /**
   * Group tokens into words for word timestamps (whisper's split_to_word_tokens): at unicode
   * boundaries for languages without spaces, else at tokens that start with a space, are
   * punctuation or are special.
   */
  splitToWordTokens(tokens: readonly number[]): { words: string[]; wordTokens: number[][] } {
    if (this.language !== undefined && UNSPACED.has(this.language)) return this.splitTokensOnUnicode(tokens);
    return this.splitTokensOnSpaces(tokens);
  }

  splitTokensOnUnicode(tokens: readonly number[]): { words: string[]; wordTokens: number[][] } {
    // Offsets count code points, as Python string indexing does.
    const full = Array.from(this.decodeWithTimestamps(tokens));
    const words: string[] = [];
    const wordTokens: number[][] = [];
    let current: number[] = [];
    let offset = 0;
    for (const t of tokens) {
      current.push(t);
      const decoded = this.decodeWithTimestamps(current);
      const cps = Array.from(decoded);
      const bad = cps.indexOf("\ufffd");
      // A U+FFFD that is also in the full text is real, not a sequence cut in half.
      if (bad < 0 || full[offset + bad] === "\ufffd") {
        words.push(decoded);
        wordTokens.push(current);
        current = [];
        offset += cps.length;
      }
    }
    return { words, wordTokens };
  }

  splitTokensOnSpaces(tokens: readonly number[]): { words: string[]; wordTokens: number[][] } {
    const sub = this.splitTokensOnUnicode(tokens);
    const words: string[] = [];
    const wordTokens: number[][] = [];
    for (let i = 0; i < sub.words.length; i++) {
      const subword = sub.words[i]!, subTokens = sub.wordTokens[i]!;
      const special = subTokens[0]! >= this.eot;
      const withSpace = subword.startsWith(" ");
      const punctuation = PY_PUNCTUATION.includes(subword.replace(PY_STRIP, ""));
      if (special || withSpace || punctuation || words.length === 0) {
        words.push(subword);
        wordTokens.push([...subTokens]);
      } else {
        words[words.length - 1] += subword;
        wordTokens[wordTokens.length - 1]!.push(...subTokens);
      }
    }
    return { words, wordTokens };
  }
}

// ---- Hugging Face tokenizer.json -------------------------------------------------------------

interface HfTokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[]; ignore_merges?: boolean };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  pre_tokenizer?: unknown;
}

/** GPT-2's byte <-> printable-unicode alphabet used by ByteLevel tokenizers. */
function byteLevelDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  return new Map(bs.map((b, i) => [String.fromCharCode(cs[i]!), b]));
}

function hfEncoder(json: HfTokenizerJson, path: string): { encoder: BpeEncoder; numLanguages: number } {
  const model = json.model;
  if (!model || model.type !== "BPE" || !model.vocab || !model.merges)
    throw new Error(`[tokenizer] ${path}: expected a BPE model with vocab and merges, got model type ${String(model?.type)}`);
  const alphabet = byteLevelDecoder();
  const toBytes = (s: string, what: string): string => {
    let out = "";
    for (const ch of s) {
      const b = alphabet.get(ch);
      if (b === undefined) throw new Error(`[tokenizer] ${path}: ${what} "${s}" has a character outside the byte-level alphabet: U+${ch.codePointAt(0)!.toString(16)}`);
      out += String.fromCharCode(b);
    }
    return out;
  };
  const special = new Map<string, number>();
  for (const t of json.added_tokens ?? []) special.set(t.content, t.id);
  const specialIds = new Set(special.values());
  const vocab = new Map<string, number>();
  const tokenBytes: (string | undefined)[] = [];
  for (const [tok, id] of Object.entries(model.vocab)) {
    if (specialIds.has(id)) continue;
    const b = toBytes(tok, "vocab token");
    vocab.set(b, id);
    tokenBytes[id] = b;
  }
  const mergeRanks = new Map<string, number>();
  model.merges.forEach((m, rank) => {
    const [l, r] = typeof m === "string" ? (m.split(" ") as [string, string]) : m;
    if (l === undefined || r === undefined) throw new Error(`[tokenizer] ${path}: merge ${rank} is not a pair: ${JSON.stringify(m)}`);
    const key = toBytes(l, "merge") + "\u0100" + toBytes(r, "merge");
    if (!mergeRanks.has(key)) mergeRanks.set(key, rank);
  });
  const ignoreMerges = model.ignore_merges === true;
  const bpe: BpeModel = {
    pairRank: (p, a, b, c) => mergeRanks.get(p.slice(a, b) + "\u0100" + p.slice(b, c)),
    // HF applies merges from single bytes; a whole-word lookup first only with ignore_merges.
    tokenOf: (b) => vocab.get(b),
    wholeWordFirst: ignoreMerges,
  };
  const numLanguages = LANGUAGE_CODES.filter((c) => special.has(`<|${c}|>`)).length;
  if (!special.has("<|0.00|>") && special.has("<|notimestamps|>")) {
    let id = Math.max(...special.values()) + 1;
    for (let i = 0; i <= 1500; i++) special.set(`<|${(i * 0.02).toFixed(2)}|>`, id++);
  }
  return { encoder: new BpeEncoder(bpe, tokenBytes, special, compileSplitRegex(WHISPER_PAT_STR)), numLanguages };
}

