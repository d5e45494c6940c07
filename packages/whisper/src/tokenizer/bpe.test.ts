// The heap-driven merge loop against a plain transcription of tiktoken's linear-scan
// byte_pair_merge, on random and adversarial words, with the real gpt2 ranks.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytePairEncode, compileSplitRegex, type BpeModel, WHISPER_PAT_STR } from "./bpe.js";
import { parseTiktokenRanks } from "./tokenizer.js";
import { tiktokenAssetPath } from "./index.js";

const bytes = parseTiktokenRanks(readFileSync(tiktokenAssetPath("gpt2"), "utf8"));
const ranks = new Map(bytes.map((b, i) => [b, i] as const));
const model: BpeModel = { pairRank: (p, a, _b, c) => ranks.get(p.slice(a, c)), tokenOf: (b) => ranks.get(b), wholeWordFirst: true };

/** tiktoken's byte_pair_merge, O(n²): repeatedly merge the leftmost lowest-ranked pair. */
function naive(piece: string): number[] {
  if (ranks.has(piece)) return [ranks.get(piece)!];
  let parts = [...piece];
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(parts[i]! + parts[i + 1]!);
      if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) break;
    parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
  }
  return parts.map((p) => ranks.get(p)!);
}

const latin1 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

describe("bytePairEncode", () => {
  it("agrees with the linear-scan merge on random words", () => {
    const word = fc.string({ unit: fc.constantFrom(..."aeinrst lo.,'’é中\n"), minLength: 1, maxLength: 120 });
    fc.assert(fc.property(word, (w) => {
      const p = latin1(w);
      expect(bytePairEncode(model, p)).toEqual(naive(p));
    }), { numRuns: 400 });
  });

  it("agrees on long repetitive words, where equal-rank ties decide", () => {
    for (const w of ["a".repeat(301), "ab".repeat(150), "aab".repeat(77), " the".repeat(40), "=".repeat(257), "1234567890".repeat(20)])
      expect(bytePairEncode(model, latin1(w))).toEqual(naive(latin1(w)));
  });

  it("splits text with Rust regex semantics for \\s (U+0085 yes, U+FEFF no)", () => {
    const re = compileSplitRegex(WHISPER_PAT_STR);
    // JS's own \s would give ["a", "\u0085\u0085", "b"] and ["a", "\ufeff", "\ufeff", "b"].
    expect([..."a\u0085\u0085b".matchAll(re)].map((m) => m[0])).toEqual(["a", "\u0085", "\u0085", "b"]);
    expect([..."a\ufeff\ufeffb".matchAll(re)].map((m) => m[0])).toEqual(["a", "\ufeff\ufeff", "b"]);
  });
});
