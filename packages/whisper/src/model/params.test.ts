// Weight preparation (names, dtypes, sinusoids) against the fixture's HF- and OpenAI-named files.

import { describe, expect, it } from "vitest";
import { canonicalWeights, sinusoids, storageDType } from "./params.js";
import { alignmentHeadsFor } from "./dims.js";
import { parseWhisperConfig } from "../weights/config.js";
import { maxAbsDiff, microConfig, microPath } from "./micro-fixture.js";
import { readSafetensors } from "../weights/safetensors.js";

describe("storageDType", () => {
  it("keeps matrices in the chosen dtype and vectors in f32", () => {
    expect(storageDType("encoder.blocks.0.attn.query.weight", "f16")).toBe("f16");
    expect(storageDType("encoder.conv1.weight", "bf16")).toBe("bf16");
    expect(storageDType("decoder.token_embedding.weight", "f16")).toBe("f16");
    expect(storageDType("decoder.blocks.0.mlp.2.weight", "f16")).toBe("f16");
    expect(storageDType("decoder.blocks.0.mlp.2.bias", "f16")).toBe("f32");
    expect(storageDType("decoder.blocks.0.mlp_ln.weight", "f16")).toBe("f32");
    expect(storageDType("decoder.positional_embedding", "f16")).toBe("f32");
  });
});

describe("canonicalWeights", () => {
  const dims = parseWhisperConfig(microConfig());
  const hf = readSafetensors(microPath("model.safetensors"));
  const oa = readSafetensors(microPath("model-openai.safetensors"));

  it("gives the same tensors from HF-named and OpenAI-named files", () => {
    const a = canonicalWeights(hf, dims), b = canonicalWeights(oa, dims);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect(a.size).toBe(89);
    for (const [k, t] of a) expect(maxAbsDiff(t.toFloat32Array(), b.get(k)!.toFloat32Array()).max, k).toBe(0);
  });

  it("computes the encoder sinusoids when a file lacks them, equal to model.py's buffer", () => {
    const table = oa.get("encoder.positional_embedding")!;
    const without = new Map([...oa].filter(([k]) => k !== "encoder.positional_embedding"));
    const w = canonicalWeights(without, dims);
    const computed = w.get("encoder.positional_embedding")!;
    expect(computed.shape).toEqual([1500, 64]);
    // torch's float32 exp is not always correctly rounded: one ulp in a timescale shifts
    // sin(t·x) by up to ~1.5e-4 at t = 1499, so this is as close as an exact-rounding table gets.
    expect(maxAbsDiff(computed.toFloat32Array(), table.toFloat32Array()).max).toBeLessThan(3e-4);
    // Spot values by hand: t = 0 gives sin 0 = 0 and cos 0 = 1; t = 1, i = 0 gives sin 1.
    expect(computed.get(0, 0)).toBe(0);
    expect(computed.get(0, 32)).toBe(1);
    expect(computed.get(1, 0)).toBeCloseTo(Math.sin(1), 6);
  });

  it("converts matrices to f16 on request", () => {
    const w = canonicalWeights(hf, dims, "f16");
    expect(w.get("encoder.blocks.0.attn.key.weight")!.dtype).toBe("f16");
    expect(w.get("encoder.blocks.0.attn.query.bias")!.dtype).toBe("f32");
  });

  it("rejects odd channel counts for sinusoids", () => {
    expect(() => sinusoids(4, 3)).toThrow(/channels must be even/);
  });
});

describe("alignmentHeadsFor", () => {
  it("defaults to every head of the upper half of the decoder, else takes the config's list", () => {
    const d = parseWhisperConfig(microConfig());
    expect(alignmentHeadsFor(d)).toEqual([{ layer: 1, head: 0 }, { layer: 1, head: 1 }]);
    expect(alignmentHeadsFor({ ...d, nTextLayer: 5, nTextHead: 1 })).toEqual([{ layer: 2, head: 0 }, { layer: 3, head: 0 }, { layer: 4, head: 0 }]);
    expect(alignmentHeadsFor(d, [[0, 1]])).toEqual([{ layer: 0, head: 1 }]);
    expect(() => alignmentHeadsFor(d, [[2, 0]])).toThrow(/outside 2 layers/);
  });
});
