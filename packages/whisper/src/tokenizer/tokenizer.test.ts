// Tokenizer parity with tiktoken (goldens.json), Whisper's special-token tables and suppress lists
// (suppress_tokens.json), word splitting, and the Hugging Face tokenizer.json loader.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { getTokenizer, LANGUAGES, parseTiktokenRanks, Tokenizer, tiktokenAssetPath, tokenizerForModel, WHISPER_PAT_STR } from "./index.js";

const TOK = fileURLToPath(new URL("../../../../../shared/fixtures/tokenizer/", import.meta.url));
interface Golden {
  special_tokens: Record<string, number>;
  cases: { text: string; ids: number[] }[];
  special_allowed_case: { text: string; ids: number[] };
  decode_checks: { ids: number[]; text: string; utf8_hex: string }[];
  single_token_bytes: { id: number; utf8_hex: string }[];
  eot: number; sot: number; n_vocab: number; num_languages: number;
}
const goldens = JSON.parse(readFileSync(`${TOK}goldens.json`, "utf8")) as { pat_str: string; encodings: Record<string, Golden> };
const suppress = JSON.parse(readFileSync(`${TOK}suppress_tokens.json`, "utf8")) as Record<string, { n_vocab: number; non_speech_tokens: number[]; suppress_tokens_default: number[]; suppress_blank_tokens: number[] }>;

const english = getTokenizer({ multilingual: false });
const multi = getTokenizer({ multilingual: true });
const multi100 = getTokenizer({ multilingual: true, numLanguages: 100 });
const BY_NAME: Record<string, Tokenizer> = { gpt2: english, multilingual: multi, multilingual_100lang: multi100 };

const tmp = mkdtempSync(join(tmpdir(), "mw-tok-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it("ships the same split regex and vocabularies as the fixtures", () => {
  expect(WHISPER_PAT_STR).toBe(goldens.pat_str);
  for (const f of ["gpt2", "multilingual"] as const)
    expect(readFileSync(tiktokenAssetPath(f)).equals(readFileSync(`${TOK}${f}.tiktoken`))).toBe(true);
});

describe.each(["gpt2", "multilingual"])("%s encoding", (name) => {
  const g = goldens.encodings[name]!;
  const tok = BY_NAME[name]!;

  it.each(g.cases.map((c, i) => [i, c] as const))("case %i encodes and decodes exactly", (_i, c) => {
    expect(tok.encode(c.text)).toEqual(c.ids);
    expect(tok.decode(c.ids)).toBe(c.text);
  });

  it("encodes special-token text only when allowed", () => {
    const c = g.special_allowed_case;
    expect(tok.encode(c.text, { allowedSpecial: "all" })).toEqual(c.ids);
    expect(() => tok.encode(c.text)).toThrow(/special token '<\|startoftranscript\|>', which is not allowed/);
    // As plain text the markers are ordinary bytes.
    expect(tok.decode(tok.encodeOrdinary(c.text))).toBe(c.text);
    expect(tok.encode(c.text, { allowedSpecial: ["<|startoftranscript|>", "<|notimestamps|>"], disallowedSpecial: [] }))
      .toEqual([...c.ids.slice(0, 2), ...tok.encodeOrdinary(" Hello<|endoftext|>")]);
  });

  it("decodes the decode checks byte for byte", () => {
    for (const d of g.decode_checks) {
      expect(Buffer.from(tok.decodeBytes(d.ids)).toString("hex")).toBe(d.utf8_hex);
      expect(tok.decode(d.ids)).toBe(d.text);
    }
    for (const s of g.single_token_bytes) expect(Buffer.from(tok.decodeBytes([s.id])).toString("hex")).toBe(s.utf8_hex);
  });

  it("has the special-token table and ids", () => {
    expect(Object.fromEntries(tok.specialTokens)).toEqual(g.special_tokens);
    expect(tok.eot).toBe(g.eot);
    expect(tok.sot).toBe(g.sot);
    expect(tok.nVocab).toBe(g.n_vocab);
    expect(tok.numLanguages).toBe(g.num_languages);
  });

  it("builds the suppress lists of suppress_tokens.json", () => {
    const s = suppress[name]!;
    expect(tok.nonSpeechTokens).toEqual(s.non_speech_tokens);
    expect(tok.defaultSuppressTokens).toEqual(s.suppress_tokens_default);
    expect(tok.suppressBlankTokens).toEqual(s.suppress_blank_tokens);
  });
});

it("has the 100-language special table of large-v3", () => {
  expect(Object.fromEntries(multi100.specialTokens)).toEqual(goldens.encodings.multilingual_100lang!.special_tokens);
  expect(multi100.allLanguageCodes.at(-1)).toBe("yue");
  expect(multi100.allLanguageCodes.length).toBe(100);
  expect(multi.allLanguageCodes.length).toBe(99);
  expect(LANGUAGES.length).toBe(100);
  expect(() => multi.languageToken("yue")).toThrow(/no token in this vocabulary/);
  expect(multi100.languageToken("cantonese")).toBe(50358);
  expect(multi100.translate).toBe(50359);
});

it("decodes the multilingual empty-bytes rank 50256 to nothing", () => {
  expect(multi.decodeBytes([50256]).length).toBe(0);
  const hello = multi.encode(" Hello world");
  expect(multi.decode([hello[0]!, 50256, ...hello.slice(1)])).toBe(" Hello world");
  expect(() => multi.decode([99999])).toThrow(/unknown token id: expected 0 <= id < 51865, got 99999/);
});


/**
 * GPT-2's byte -> printable-unicode alphabet, written out here again (not imported) so the
 * tokenizer.json tests do not rely on the implementation's own table.
 */
function byteLevelAlphabet(): { bs: number[]; cs: number[] } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  return { bs, cs };
}

describe("Whisper helpers", () => {
  it("builds sot sequences like whisper", () => {
    expect(english.sotSequence()).toEqual([50257]);
    expect(english.sotSequenceIncludingNotimestamps()).toEqual([50257, 50362]);
    expect(multi.sotSequence()).toEqual([50258, 50259, 50359]);
    expect(multi.sotSequence({ language: "de", task: "translate" })).toEqual([50258, 50261, 50358]);
    const fr = getTokenizer({ multilingual: true, language: "French", task: "translate" });
    expect(fr.sotSequenceIncludingNotimestamps()).toEqual([50258, 50265, 50358, 50363]);
    expect(fr.languageToken()).toBe(50265);
    expect(fr.languageOf(50265)).toBe("fr");
    expect(fr.languageOf(50258)).toBeUndefined();
    expect(() => getTokenizer({ multilingual: true, language: "klingon" })).toThrow(/unsupported language/);
    expect(multi.allLanguageTokens[0]).toBe(50259);
    expect(english.timestampBegin).toBe(50363);
    expect(multi.noSpeech).toBe(50362);
  });

  it("decodeText drops timestamps like whisper's decode", () => {
    const ids = [50363, 23105, 50438, 51863];
    expect(english.decodeText(ids)).toBe(" hi");
    expect(english.decodeWithTimestamps(ids)).toBe("<|0.00|> hi<|1.50|><|30.00|>");
  });

  it("splits words on spaces and punctuation", () => {
    const ids = english.encode(" Hello, world! It's (fine) — ok.");
    const { words, wordTokens } = english.splitToWordTokens([...ids, english.eot]);
    expect(words).toEqual([" Hello", ",", " world", "!", " It's", " (fine", ")", " —", " ok", ".", "<|endoftext|>"]);
    expect(wordTokens.flat()).toEqual([...ids, english.eot]);
    for (let i = 0; i < words.length; i++) expect(english.decode(wordTokens[i]!)).toBe(words[i]);
  });

  it("keeps multi-token characters together and splits unspaced languages per character", () => {
    const zh = getTokenizer({ multilingual: true, language: "zh" });
    const ids = zh.encode("我们今天去看🎉");
    const { words, wordTokens } = zh.splitToWordTokens(ids);
    expect(words.join("")).toBe("我们今天去看🎉");
    // Every group decodes to whole characters: no U+FFFD from a cut UTF-8 sequence.
    for (const w of words) expect(w).not.toContain("\ufffd");
    expect(wordTokens.flat()).toEqual(ids);
    expect(words.length).toBeGreaterThan(1);
    // English splitting of the same text would keep it as a single word (no spaces).
    expect(multi.splitToWordTokens(ids).words).toEqual(["我们今天去看🎉"]);
  });

  it("encodes a long word quickly", () => {
    const long = "a".repeat(20000) + "xyz".repeat(5000);
    // CPU time, so a loaded machine does not make it flaky; a quadratic merge loop takes far longer.
    const c = process.cpuUsage();
    const ids = english.encode(long);
    const used = process.cpuUsage(c);
    expect((used.user + used.system) / 1000).toBeLessThan(2000);
    expect(english.decode(ids)).toBe(long);
  });
});

describe("Tokenizer.fromHuggingFace", () => {
  // Build a tokenizer.json from the tiktoken ranks the way tiktoken -> HF conversion does: each
  // token's merge is the last split a rank-limited BPE leaves. Written naively (O(n^2)) here so
  // it checks the heap-based merge loop independently.
  function toHf(ranksFile: string, specials: Map<string, number>): string {
    const bytes = parseTiktokenRanks(readFileSync(ranksFile, "utf8"));
    const rank = new Map<string, number>();
    bytes.forEach((b, i) => { if (b) rank.set(b, i); });
    const { bs, cs } = byteLevelAlphabet();
    const enc = new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i]!)]));
    const uni = (s: string): string => [...s].map((c) => enc.get(c.charCodeAt(0))!).join("");
    const vocab: Record<string, number> = {};
    const merges: [string, string][] = [];
    bytes.forEach((b, r) => {
      if (!b) return;
      vocab[uni(b)] = r;
      if (b.length < 2) return;
      let parts = [...b];
      for (;;) {
        let best = -1, bestRank = Infinity;
        for (let i = 0; i + 1 < parts.length; i++) {
          const rr = rank.get(parts[i]! + parts[i + 1]!);
          if (rr !== undefined && rr < r && rr < bestRank) { bestRank = rr; best = i; }
        }
        if (best < 0) break;
        parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
      }
      if (parts.length !== 2) throw new Error(`rank ${r} does not split into one merge: ${parts.length} parts`);
      merges.push([uni(parts[0]!), uni(parts[1]!)]);
    });
    const added = [...specials].filter(([t]) => !/^<\|\d+\.\d\d\|>$/.test(t)).map(([content, id]) => ({ id, content, special: true }));
    return JSON.stringify({ model: { type: "BPE", vocab, merges: merges.map(([a, b]) => `${a} ${b}`) }, added_tokens: added });
  }

  it("encodes every golden like tiktoken (English-only vocabulary, timestamps synthesised)", () => {
    const path = join(tmp, "tokenizer.json");
    writeFileSync(path, toHf(tiktokenAssetPath("gpt2"), new Map(english.specialTokens)));
    const hf = Tokenizer.fromHuggingFace(path);
    const g = goldens.encodings.gpt2!;
    for (const c of g.cases) expect(hf.encode(c.text)).toEqual(c.ids);
    for (const d of g.decode_checks) expect(Buffer.from(hf.decodeBytes(d.ids)).toString("hex")).toBe(d.utf8_hex);
    expect(Object.fromEntries(hf.specialTokens)).toEqual(g.special_tokens);
    expect(hf.nonSpeechTokens).toEqual(suppress.gpt2!.non_speech_tokens);
    expect(hf.language).toBeUndefined();
  });

  it("reports a malformed file by name", () => {
    const path = join(tmp, "bad.json");
    writeFileSync(path, JSON.stringify({ model: { type: "Unigram" } }));
    expect(() => Tokenizer.fromHuggingFace(path)).toThrow(/bad\.json: expected a BPE model/);
    writeFileSync(path, "{not json");
    expect(() => Tokenizer.fromHuggingFace(path)).toThrow(/cannot read tokenizer\.json .*bad\.json/);
  });
});

describe("tokenizerForModel", () => {
  /** A small byte-level tokenizer.json: 256 bytes, two merges, Whisper's specials with 2 languages. */
  function tinyHf(): string {
    const { bs, cs } = byteLevelAlphabet();
    const vocab: Record<string, number> = {};
    bs.forEach((b, i) => { vocab[String.fromCharCode(cs[i]!)] = b; });
    // "Ġ" is the byte-level spelling of a space.
    vocab["Ġa"] = 256;
    vocab["Ġab"] = 257;
    const names = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|zh|>", "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"];
    const added = names.map((content, i) => ({ id: 258 + i, content, special: true }));
    const dir = mkdtempSync(join(tmp, "tiny-hf-"));
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "BPE", vocab, merges: ["Ġ a", "Ġa b"] }, added_tokens: added }));
    return dir;
  }

  it("uses the shipped vocabularies for standard models", () => {
    expect(tokenizerForModel(undefined, { nVocab: 51864, multilingual: false, numLanguages: 99 }).eot).toBe(50256);
    const t = tokenizerForModel(undefined, { nVocab: 51866, multilingual: true, numLanguages: 100 }, { language: "yue" });
    expect(t.sotSequence()).toEqual([50258, 50358, 50360]);
  });

  it("reads tokenizer.json for other vocabularies, merging by the merge list", () => {
    const dir = tinyHf();
    const t = tokenizerForModel(dir, { nVocab: 2000, multilingual: false, numLanguages: 2 });
    expect(t.encode(" ab ab a")).toEqual([257, 257, 256]);
    expect(t.encode("ab")).toEqual([97, 98]);
    expect(t.decode([257, 10])).toBe(" ab\n");
    expect(t.numLanguages).toBe(2);
    expect(t.sot).toBe(259);
    expect(t.noTimestamps).toBe(267);
    // Timestamps are added after <|notimestamps|> when the file has none.
    expect(t.timestampBegin).toBe(268);
    expect(t.decode([268 + 75])).toBe("<|1.50|>");
    expect(() => tokenizerForModel(dir, { nVocab: 1000, multilingual: false, numLanguages: 2 })).toThrow(/vocabulary has 1769 ids, more than the model's 1000/);
    expect(() => tokenizerForModel(mkdtempSync(join(tmp, "empty-")), { nVocab: 2000, multilingual: false, numLanguages: 2 })).toThrow(/not a standard Whisper vocabulary, and .* has no tokenizer\.json/);
  });
});
