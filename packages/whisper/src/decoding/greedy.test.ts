// Greedy decoding rules on a scripted decoder with hand-made logits (no model involved).

import { describe, expect, it } from "vitest";
import { argmaxSuppressed, greedyDecode, type StepDecoder } from "./greedy.js";

const V = 8, EOT = 7;

/** A decoder whose row r at step s prefers ids in script[r][s] order (first is the highest). */
function scripted(script: number[][][]): StepDecoder & { fed: number[][][] } {
  let s = 0;
  const fed: number[][][] = [];
  return {
    fed,
    async step(tokens) {
      fed.push(tokens.map((r) => [...r]));
      const out = script.map((rows) => {
        const l = new Float32Array(V).fill(-5);
        rows[s]!.forEach((id, rank) => { l[id] = 10 - rank; });
        return l;
      });
      s++;
      return out;
    },
  };
}

describe("argmaxSuppressed", () => {
  it("skips suppressed ids and takes the first of ties", () => {
    const l = Float32Array.from([1, 3, 3, 2]);
    expect(argmaxSuppressed(l)).toBe(1);
    expect(argmaxSuppressed(l, new Set([1]))).toBe(2);
    expect(argmaxSuppressed(l, new Set([1, 2]))).toBe(3);
  });
});

describe("greedyDecode", () => {
  it("feeds the prompt, then one token a step, and stops at maxNewTokens", async () => {
    const d = scripted([[[3], [4], [5], [6]]]);
    const r = await greedyDecode(d, { prompt: [[1, 2]], maxNewTokens: 3, eot: EOT });
    expect(r.tokens).toEqual([[3, 4, 5]]);
    expect(r.scores).toEqual([[10, 10, 10]]);
    expect(d.fed).toEqual([[[1, 2]], [[3]], [[4]]]);
  });

  it("suppresses blank only at the first step and the suppress set at every step", async () => {
    const d = scripted([[[0, 3], [0, 5], [2, 1]]]);
    const r = await greedyDecode(d, { prompt: [[1]], maxNewTokens: 3, eot: EOT, suppressBlank: [0], suppress: [2] });
    // Step 0: 0 is blank-suppressed -> 3; step 1: 0 allowed -> 0; step 2: 2 suppressed -> 1.
    expect(r.tokens).toEqual([[3, 0, 1]]);
    expect(r.scores).toEqual([[9, 10, 9]]);
  });

  it("stops a row at end of text without returning it, and keeps a finished row feeding eot", async () => {
    const d = scripted([
      [[3], [EOT], [5], [6]],
      [[4], [5], [6], [EOT]],
    ]);
    const r = await greedyDecode(d, { prompt: [[1], [1]], maxNewTokens: 10, eot: EOT });
    expect(r.tokens).toEqual([[3], [4, 5, 6]]);
    expect(d.fed.slice(1)).toEqual([[[3], [4]], [[EOT], [5]], [[EOT], [6]]]);
  });

  it("treats eot as an ordinary token when stopAtEnd is false", async () => {
    const d = scripted([[[EOT], [EOT], [2]]]);
    const r = await greedyDecode(d, { prompt: [[1]], maxNewTokens: 3, eot: EOT, stopAtEnd: false });
    expect(r.tokens).toEqual([[EOT, EOT, 2]]);
  });

  it("rejects bad prompts", async () => {
    const d = scripted([[[1]]]);
    await expect(greedyDecode(d, { prompt: [], maxNewTokens: 1, eot: EOT })).rejects.toThrow(/at least one row/);
    await expect(greedyDecode(d, { prompt: [[1], [1, 2]], maxNewTokens: 1, eot: EOT })).rejects.toThrow(/rows differ in length/);
    await expect(greedyDecode(d, { prompt: [[1]], maxNewTokens: -1, eot: EOT })).rejects.toThrow(/maxNewTokens/);
  });
});
