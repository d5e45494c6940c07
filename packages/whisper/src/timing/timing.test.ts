// DTW, the median filter, punctuation merging and numpy rounding on small hand-worked inputs.

import { describe, expect, it } from "vitest";
import { dtw, medianFilter } from "./dtw.js";
import { type WordTiming, mergePunctuations, npRound2, roundHalfEven } from "./alignment.js";

describe("medianFilter", () => {
  it("takes the median of each width-3 window with reflect padding", () => {
    // Row [5, 1, 4, 2]: padded (reflect, 1) = [1, 5, 1, 4, 2, 4] -> medians [1, 4, 2, 4].
    const out = medianFilter(Float32Array.from([5, 1, 4, 2]), 1, 4, 3);
    expect(Array.from(out)).toEqual([1, 4, 2, 4]);
  });
  it("filters each row on its own and leaves rows no longer than width/2 unchanged", () => {
    const out = medianFilter(Float32Array.from([3, 1, 2, 9, 7, 8]), 2, 3, 3);
    // Row 0: pad [1, 3, 1, 2, 1] -> [1, 2, 1]; row 1: pad [7, 9, 7, 8, 7] -> [7, 8, 7].
    expect(Array.from(out)).toEqual([1, 2, 1, 7, 8, 7]);
    expect(Array.from(medianFilter(Float32Array.from([3, 1, 2]), 1, 3, 7))).toEqual([3, 1, 2]);
  });
  it("rejects an even width", () => {
    expect(() => medianFilter(new Float32Array(4), 1, 4, 4)).toThrow(/odd/);
  });
});

describe("dtw", () => {
  it("follows the cheap diagonal of a 3×3 cost", () => {
    const x = Float64Array.from([0, 9, 9, 9, 0, 9, 9, 9, 0]);
    expect(dtw(x, 3, 3)).toEqual([[0, 1, 2], [0, 1, 2]]);
  });
  it("stays on a row while its frames are cheap (2 tokens × 4 frames)", () => {
    // Row 0 is cheap on frames 0..2, row 1 only on frame 3.
    const x = Float64Array.from([0, 0, 0, 5, 5, 5, 5, 0]);
    expect(dtw(x, 2, 4)).toEqual([[0, 0, 0, 1], [0, 1, 2, 3]]);
  });
});

describe("rounding", () => {
  it("rounds half to even like numpy", () => {
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-0.4)).toBe(-0);
    expect(npRound2(0.125)).toBe(0.12);
    expect(npRound2(29.98)).toBe(29.98);
  });
});

describe("mergePunctuations", () => {
  const w = (word: string, tokens: number[]): WordTiming => ({ word, tokens, start: 0, end: 1, probability: 1 });
  it("attaches an opening quote to the next word and a period to the previous one", () => {
    const a = [w(" \"", [1]), w("Hello", [2]), w(" world", [3]), w(".", [4]), w("\"", [5])];
    mergePunctuations(a);
    expect(a.map((x) => x.word)).toEqual(["", " \"Hello", " world.\"", "", ""]);
    expect(a[1]!.tokens).toEqual([1, 2]);
    expect(a[2]!.tokens).toEqual([3, 4, 5]);
  });
  it("does not append to a word that ends with a space", () => {
    const a = [w(" so ", [1]), w(",", [2])];
    mergePunctuations(a);
    expect(a.map((x) => x.word)).toEqual([" so ", ","]);
  });
});
