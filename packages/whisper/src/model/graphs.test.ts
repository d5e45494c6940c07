// The encoder and decoder graphs' signatures: symbolic batch / cache dims, output types, and the
// weights they declare against the checkpoint's tensor list (weights/names.ts).

import { describe, expect, it } from "vitest";
import { expectedTensors } from "../weights/names.js";
import { WHISPER_PRESETS, parseWhisperConfig } from "../weights/config.js";
import { buildEncoder } from "./encoder.js";
import { buildCrossKV, buildDecoder } from "./decoder.js";
import { microConfig } from "./micro-fixture.js";

const cfg = parseWhisperConfig(microConfig());
const types = (vs: readonly { type: { toString(): string } }[]) => vs.map((v) => String(v.type));

describe("graph signatures", () => {
  it("encoder: [batch, 80, 3000] -> [batch, 1500, 64]", () => {
    const g = buildEncoder(cfg);
    expect(types(g.inputs)).toEqual(["f32[batch, 80, 3000]"]);
    expect(types(g.outputs)).toEqual(["f32[batch, 1500, 64]"]);
  });

  it("cross K/V: one K and one V per decoder layer", () => {
    const g = buildCrossKV(cfg);
    expect(types(g.outputs)).toEqual(Array(4).fill("f32[batch, 1500, 64]"));
  });

  it("cached decoder step: the cache grows by n, logits of the last position only", () => {
    const g = buildDecoder(cfg, { cache: true, lastOnly: true });
    expect(types(g.inputs)).toEqual(["i32[batch, n]", ...Array(4).fill("f32[batch, past, 64]"), ...Array(4).fill("f32[batch, 1500, 64]")]);
    expect(types(g.outputs)).toEqual(["f32[batch, 1, 51864]", ...Array(4).fill("f32[batch, n+past, 64]")]);
  });

  it("cross K/V in f16: returned as f16, taken as f16 and widened in the decoder", () => {
    expect(types(buildCrossKV(cfg, { crossDtype: "f16" }).outputs)).toEqual(Array(4).fill("f16[batch, 1500, 64]"));
    const g = buildDecoder(cfg, { cache: true, lastOnly: true }, { crossDtype: "f16" });
    expect(types(g.inputs).slice(5)).toEqual(Array(4).fill("f16[batch, 1500, 64]"));
    for (const x of g.inputs.slice(5)) expect(g.nodes.some((n) => n.op === "cast" && n.inputs[0] === x.id)).toBe(true);
  });

  it("first pass with every position's logits and the alignment scores", () => {
    const g = buildDecoder(cfg, { cache: false, lastOnly: false, alignmentHeads: [{ layer: 1, head: 0 }, { layer: 0, head: 1 }] });
    expect(types(g.inputs)).toEqual(["i32[batch, n]", ...Array(4).fill("f32[batch, 1500, 64]")]);
    expect(types(g.outputs)).toEqual(["f32[batch, n, 51864]", ...Array(4).fill("f32[batch, n, 64]"), "f32[batch, 2, n, 1500]"]);
  });
});

describe("declared weights", () => {
  for (const [name, c] of [["micro", cfg], ["tiny", WHISPER_PRESETS.tiny!]] as const) {
    it(`${name}: the graphs together read exactly the checkpoint's tensors, with their shapes`, () => {
      const declared = new Map<string, string>();
      for (const g of [buildEncoder(c), buildCrossKV(c), buildDecoder(c, { cache: true, lastOnly: true })])
        for (const w of g.weights()) declared.set(w.name, String(w.type));
      const want = new Map([...expectedTensors(c)].map(([n, s]) => [n, `f32[${s.join(", ")}]`]));
      expect(new Map([...declared].sort())).toEqual(new Map([...want].sort()));
    });
  }

  it("stores matrices in f16 when asked and casts them in the graph", () => {
    const g = buildEncoder(cfg, { wdtype: "f16" });
    const w = new Map(g.weights().map((x) => [x.name, x.type.dtype]));
    expect(w.get("encoder.blocks.0.attn.query.weight")).toBe("f16");
    expect(w.get("encoder.blocks.0.attn.query.bias")).toBe("f32");
    expect(g.nodes.some((n) => n.op === "cast")).toBe(true);
  });
});
