// Whisper's logit filters and the seeded sampler on hand-made logits over the real English-only
// vocabulary (no model involved); expected masks follow decoding.py's rules by hand.

import { describe, expect, it } from "vitest";
import { getTokenizer } from "../tokenizer/index.js";
import { ApplyTimestampRules, SuppressBlank, SuppressTokens } from "./logit-filters.js";
import { SeededRandom, sampleCategorical } from "./random.js";
import { compressionRatio, pyStrip } from "./compression.js";
import { detectLanguage, initialTokens } from "./task.js";

const tk = getTokenizer({ multilingual: false });
const V = 51864, TB = 50363, EOT = 50256;
const zeros = (): Float32Array => new Float32Array(V);
const masked = (l: Float32Array, from: number, to: number): boolean => l.subarray(from, to).every((x) => x === -Infinity);
const open = (l: Float32Array, from: number, to: number): boolean => l.subarray(from, to).every((x) => x !== -Infinity);

describe("SuppressBlank / SuppressTokens", () => {
  it("masks ' ' and eot only at the first sampled position", () => {
    const f = new SuppressBlank(tk, 3);
    const a = zeros();
    f.apply(a, [1, 2, 3]);
    expect(a[220]).toBe(-Infinity);
    expect(a[EOT]).toBe(-Infinity);
    const b = zeros();
    f.apply(b, [1, 2, 3, 4]);
    expect(b.every((x) => x === 0)).toBe(true);
  });
  it("masks a fixed set every step", () => {
    const a = zeros();
    new SuppressTokens([5, 7]).apply(a);
    expect([a[5], a[6], a[7]]).toEqual([-Infinity, 0, -Infinity]);
  });
});

describe("ApplyTimestampRules", () => {
  const begin = 1; // initial tokens: [sot]
  const f = new ApplyTimestampRules(tk, begin, 50);

  it("forces a timestamp no later than max_initial_timestamp first", () => {
    const l = zeros();
    f.apply(l, [50257]);
    expect(masked(l, 0, TB)).toBe(true);
    expect(open(l, TB, TB + 51)).toBe(true);
    expect(masked(l, TB + 51, V)).toBe(true);
  });

  it("after a lone timestamp, text is masked but eot and later timestamps stay", () => {
    const l = zeros();
    l[EOT] = 10; // strong enough that the timestamp-mass rule does not force a timestamp
    f.apply(l, [50257, 42, TB + 10]);
    expect(masked(l, 0, EOT)).toBe(true);
    expect(l[EOT]).toBe(10);
    // A segment may close on its opening timestamp's value, not below it.
    expect(masked(l, TB, TB + 10)).toBe(true);
    expect(open(l, TB + 10, V)).toBe(true);
  });

  it("after a timestamp pair, timestamps are masked and text is allowed", () => {
    const l = zeros();
    f.apply(l, [50257, TB + 3, 42, TB + 10, TB + 10]);
    expect(masked(l, TB, V)).toBe(true);
    expect(open(l, 0, EOT)).toBe(true);
  });

  it("forbids timestamps at or below the last one inside text, and masks notimestamps", () => {
    const l = zeros();
    f.apply(l, [50257, TB + 7, 42, 43]);
    expect(masked(l, TB, TB + 8)).toBe(true);
    expect(l[TB + 8]).toBe(0);
    expect(l[tk.noTimestamps]).toBe(-Infinity);
  });

  it("forces a timestamp when the timestamps' total probability beats every text token", () => {
    // Text tokens at 0, timestamps at 0: 1501 timestamps sum to more than one text token.
    const l = zeros();
    f.apply(l, [50257, TB + 1, 42]);
    expect(masked(l, 0, TB)).toBe(true);
    // One strong text token (logit 10) beats log(1499) ≈ 7.3: nothing is forced.
    const m = zeros();
    m[42] = 10;
    f.apply(m, [50257, TB + 1, 42]);
    expect(m[42]).toBe(10);
  });
});

describe("initialTokens", () => {
  it("puts <|startofprev|> and the prompt's last n_text_ctx/2 - 1 tokens before the sot sequence", () => {
    expect(initialTokens(tk, 448, undefined, true)).toEqual([50257, 50362]);
    const prompt = Array.from({ length: 300 }, (_, i) => i);
    const t = initialTokens(tk, 448, prompt, false);
    expect(t[0]).toBe(tk.sotPrev);
    expect(t.length).toBe(1 + 223 + 1);
    expect(t[1]).toBe(300 - 223);
    expect(t[t.length - 1]).toBe(50257);
  });
});

describe("SeededRandom / sampleCategorical", () => {
  it("repeats a sequence for a seed, and differs across seeds", () => {
    const a = new SeededRandom(7), b = new SeededRandom(7), c = new SeededRandom(8);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    for (const x of xa) expect(x >= 0 && x < 1).toBe(true);
  });

  it("samples in proportion to softmax(logits / T) and never a masked token", () => {
    const r = new SeededRandom(1);
    const l = Float32Array.from([Math.log(1), Math.log(3), -Infinity, Math.log(6)]);
    const n = 20000, counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[sampleCategorical(l, 1, r)]!++;
    expect(counts[2]).toBe(0);
    expect(counts[0]! / n).toBeCloseTo(0.1, 1);
    expect(counts[1]! / n).toBeCloseTo(0.3, 1);
    expect(counts[3]! / n).toBeCloseTo(0.6, 1);
    // At T = 0.5 the weights square: 1 : 9 : 36.
    const c2 = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) c2[sampleCategorical(l, 0.5, r)]!++;
    expect(c2[3]! / n).toBeCloseTo(36 / 46, 1);
  });
});

describe("compressionRatio", () => {
  it("matches Python's zlib.compress byte counts (hand-checked small cases)", () => {
    // python3: len(zlib.compress(b"a" * 100)) == 12; len(zlib.compress(b"")) == 8.
    expect(compressionRatio("a".repeat(100))).toBe(100 / 12);
    expect(compressionRatio("")).toBe(0);
    expect(pyStrip("\x1c abc \u00a0")).toBe("abc");
  });
});

describe("detectLanguage", () => {
  it("takes the most likely language token at <|startoftranscript|>, ignoring every other token", async () => {
    const ml = getTokenizer({ multilingual: true });
    const de = ml.languageToken("de"), fr = ml.languageToken("fr");
    const fed: number[][][] = [];
    const model = {
      config: { nTextCtx: 448, nAudioCtx: 1500 },
      async decoder() {
        return {
          async step(tokens: number[][]) {
            fed.push(tokens);
            const l = new Float32Array(ml.nVocab);
            l[42] = 50; // a text token outranks every language: masked out
            l[de] = 3;
            l[fr] = 2;
            return [l];
          },
          dispose() {},
        };
      },
    } as unknown as Parameters<typeof detectLanguage>[0];
    const r = await detectLanguage(model, null as never, ml);
    expect(fed).toEqual([[[ml.sot]]]);
    expect(r.language).toBe("de");
    // Softmax over the language tokens only: e^3 / (e^3 + e^2 + 97 · e^0).
    const z = Math.exp(3) + Math.exp(2) + (ml.allLanguageTokens.length - 2);
    expect(r.probs.get("de")).toBeCloseTo(Math.exp(3) / z, 12);
  });
});
