// Parity of the Whisper graphs and API with the PyTorch reference on the whisper-micro fixture
// (../shared/fixtures/whisper-micro), on the reference interpreter and on cpu when it is built.
// Decoder tests start from the fixture's encoder output, so each part is checked on its own.

import { beforeAll, describe, expect, it } from "vitest";
import { Tensor } from "@max-whisper/graph";
import { Whisper } from "./whisper.js";
import { greedyDecode } from "./decoding/greedy.js";
import { MICRO_DIR, expectClose, maxAbsDiff, readF32, readI32, testDevices } from "./model/micro-fixture.js";

const V = 51864;
const PROMPT = [50257, 50362];
const devices = await testDevices();

/** Row r, position p of a [B, T, V] logits tensor. */
function row(t: Tensor, r: number, p: number): Float32Array {
  const [, T, n] = t.shape as [number, number, number];
  return t.toFloat32Array().subarray((r * T + p) * n, (r * T + p + 1) * n);
}

describe.each(devices)("Whisper on %s", (device) => {
  let w: Whisper;
  // The interpreter spends ~0.3 s a step on the 64×51864 logits: it runs the full 24 steps once
  // (the kv-cache test) and the API variants for 8; fast devices run all 24 everywhere.
  const steps = device === "reference" ? 8 : 24;
  const enc1 = readF32("encoder_out.bin", [1, 1500, 64]);
  const enc2 = readF32("batch_encoder_out.bin", [2, 1500, 64]);

  beforeAll(async () => {
    w = await Whisper.load(MICRO_DIR, { device });
  });

  it("loads the micro model: config, tokenizer, device", () => {
    expect(w.device).toBe(device);
    expect(w.config.nTextState).toBe(64);
    expect(w.tokenizer.eot).toBe(50256);
    expect(w.alignmentHeads).toEqual([{ layer: 1, head: 0 }, { layer: 1, head: 1 }]);
  });

  it("computes the log-mel of unpadded samples, padded to 30 s", () => {
    const audio = readF32("audio.bin", [480000]).toFloat32Array();
    // The first 11 s are jfk.wav; logMel pads the rest with zeros itself.
    const mel = w.logMel(audio.slice(0, 176000));
    expectClose(mel, readF32("mel.bin", [80, 3000]), 1e-4, "mel");
  });

  it("encodes mel.bin to the reference encoder output", async () => {
    const enc = await w.encode(readF32("mel.bin", [80, 3000]));
    expectClose(enc, enc1, 1e-4, "encoder_out");
  });

  it("encodes a batch of two windows", async () => {
    const enc = await w.encode(readF32("batch_mel.bin", [2, 80, 3000]));
    expectClose(enc, enc2, 1e-4, "batch_encoder_out");
  });

  it("gives the step-0 logits of the prompt", async () => {
    const lg = await w.logits(PROMPT, enc1);
    expectClose(lg, readF32("logits_step0.bin", [1, 2, V]), 1e-4, "logits_step0");
  });

  it("gives teacher-forced logits for 10 tokens in one pass", async () => {
    const lg = await w.logits(readI32("teacher_forced_tokens.bin"), enc1);
    expectClose(lg, readF32("teacher_forced_logits.bin", [1, 10, V]), 1e-4, "teacher_forced_logits");
  });

  it("gives batch step-0 logits", async () => {
    const lg = await w.logits([PROMPT, PROMPT], enc2);
    expectClose(lg, readF32("batch_logits_step0.bin", [2, 2, V]), 1e-4, "batch_logits_step0");
  });

  it("decodes 24 greedy tokens through the kv-cache, with the reference winning logits", async () => {
    const s = await w.decoder(enc1);
    const r = await greedyDecode(s, { prompt: [PROMPT], maxNewTokens: 24, eot: w.tokenizer.eot, stopAtEnd: false });
    expect(r.tokens[0]).toEqual(readI32("greedy_tokens.bin"));
    expectClose(Float32Array.from(r.scores[0]!), readF32("greedy_max_logit.bin", [24]), 1e-4, "greedy_max_logit");
    expect(s.length).toBe(2 + 23);
    s.dispose();
  });

  it("Whisper's default suppression sets match the suppressed reference, winning logits included", async () => {
    const s = await w.decoder(enc1);
    const r = await greedyDecode(s, {
      prompt: [PROMPT], maxNewTokens: steps, eot: w.tokenizer.eot,
      suppress: w.tokenizer.defaultSuppressTokens, suppressBlank: w.tokenizer.suppressBlankTokens,
    });
    s.dispose();
    expect(r.tokens[0]).toEqual(readI32("greedy_tokens_suppressed.bin").slice(0, steps));
    const want = readF32("greedy_suppressed_max_logit.bin", [24]).toFloat32Array().slice(0, steps);
    expectClose(Float32Array.from(r.scores[0]!), want, 1e-4, "greedy_suppressed_max_logit");
  });

  it("greedy() takes Whisper's default prompt and suppression", async () => {
    // The default prompt of an English-only model is [sot, notimestamps], the fixture's prompt.
    const ids = await w.greedy(enc1, { maxNewTokens: 4 });
    expect(ids).toEqual(readI32("greedy_tokens_suppressed.bin").slice(0, 4));
  });

  it("greedyBatch() decodes both windows of a batch", async () => {
    const ids = await w.greedyBatch(enc2, { prompt: PROMPT, maxNewTokens: steps });
    const want = readI32("batch_greedy_tokens_suppressed.bin");
    expect(ids).toEqual([want.slice(0, steps), want.slice(24, 24 + steps)]);
    if (device === "reference") return; // the unfiltered batch costs another 24 interpreter steps
    const plain = await w.greedyBatch(enc2, { prompt: PROMPT, maxNewTokens: 24, suppress: false, suppressBlank: false, stopAtEnd: false });
    const wantPlain = readI32("batch_greedy_tokens.bin");
    expect(plain).toEqual([wantPlain.slice(0, 24), wantPlain.slice(24)]);
  });

  it("suppression moves the first choice to the best remaining logit", async () => {
    const l = row(readF32("logits_step0.bin", [1, 2, V]), 0, 1);
    const order = [...l.keys()].sort((a, b) => l[b]! - l[a]!);
    // Suppress the reference's top two: the third-best id must win.
    const ids = await w.greedy(enc1, { prompt: PROMPT, maxNewTokens: 1, suppress: [order[0]!, order[1]!], suppressBlank: false });
    expect(ids).toEqual([order[2]]);
  });

  it("a step-by-step session equals one pass, and rewind replays the same logits", async () => {
    const tf = readI32("teacher_forced_tokens.bin");
    const want = readF32("teacher_forced_logits.bin", [1, 10, V]);
    const s = await w.decoder(enc1, { logitsAll: true });
    const first = await s.step([tf.slice(0, 4)]);
    expectClose(first[0]!, want.toFloat32Array().subarray(0, 4 * V), 1e-4, "positions 0..3");
    const mid = await s.step([tf.slice(4, 6)]);
    expectClose(mid[0]!, want.toFloat32Array().subarray(4 * V, 6 * V), 1e-4, "positions 4..5 over the cache");
    s.rewind(1);
    expect(s.tokens[0]).toEqual(tf.slice(0, 5));
    const again = await s.step([[tf[5]!]]);
    expectClose(again[0]!, row(want, 0, 5), 1e-4, "position 5 after rewind");
    s.reset();
    const fresh = await s.step([tf.slice(0, 1)]);
    expectClose(fresh[0]!, row(want, 0, 0), 1e-4, "position 0 after reset");
    const pending = s.step([[tf[1]!]]);
    await expect(s.step([[tf[2]!]])).rejects.toThrow(/while a step is running/);
    expect(() => s.rewind(1)).toThrow(/while a step is running/);
    await pending;
    expect(s.tokens[0]).toEqual(tf.slice(0, 2));
    s.dispose();
    await expect(s.step([[1]])).rejects.toThrow(/after dispose/);
  });

  it("repeats one window over several decoder rows and reorders rows like beam search", async () => {
    const tf = readI32("teacher_forced_tokens.bin");
    const want = readF32("teacher_forced_logits.bin", [1, 10, V]);
    const s = await w.decoder(enc1, { rows: 2 });
    expect(s.batch).toBe(2);
    const first = await s.step([tf.slice(0, 4), [...PROMPT, 20379, 16509]]);
    expectClose(first[0]!, row(want, 0, 3), 1e-4, "row 0, position 3");
    // Row 1 takes row 0's cache: both then continue the teacher-forced sequence.
    s.reorder([0, 0]);
    expect(s.tokens).toEqual([tf.slice(0, 4), tf.slice(0, 4)]);
    const next = await s.step([[tf[4]!], [tf[4]!]]);
    expectClose(next[0]!, row(want, 0, 4), 1e-4, "row 0, position 4");
    expectClose(next[1]!, row(want, 0, 4), 1e-4, "row 1, position 4 after reorder");
    expect(() => s.reorder([0])).toThrow(/expected 2 row indices/);
    s.dispose();
    await expect(w.decoder(enc2, { rows: 3 })).rejects.toThrow(/multiple of the encoder batch 2/);
  });

  it("returns alignment-head cross-attention weights from a separate graph", async () => {
    const tf = readI32("teacher_forced_tokens.bin");
    const { weights: a, logits } = await w.alignment(enc1, tf);
    // The alignment variant is the same decoder pass: its logits are the teacher-forced ones.
    expectClose(logits, readF32("teacher_forced_logits.bin", [1, 10, V]), 1e-4, "alignment-pass logits");
    expect(a.shape).toEqual([2, 10, 1500]);
    const d = a.toFloat32Array();
    // Truncated to the first 750 frames, each row is the full row's prefix renormalised.
    const half = (await w.alignmentWeights(enc1, tf, undefined, { frames: 750 })).toFloat32Array();
    for (let r = 0; r < 20; r++) {
      let sum = 0, pre = 0;
      for (let j = 0; j < 1500; j++) sum += d[r * 1500 + j]!;
      for (let j = 0; j < 750; j++) pre += d[r * 1500 + j]!;
      expect(sum).toBeCloseTo(1, 5);
      for (const j of [0, 100, 749]) expect(half[r * 750 + j]).toBeCloseTo(d[r * 1500 + j]! / pre, 6);
    }
    // One head alone is the matching slice of the two-head result.
    const one = await w.alignmentWeights(enc1, tf, [{ layer: 1, head: 1 }]);
    expect(one.shape).toEqual([1, 10, 1500]);
    expectClose(one.toFloat32Array(), d.subarray(10 * 1500), 1e-6, "head (1, 1)");
    // Heads come back in the order asked for.
    const swapped = (await w.alignmentWeights(enc1, tf, [{ layer: 1, head: 1 }, { layer: 1, head: 0 }])).toFloat32Array();
    expectClose(swapped.subarray(0, 15000), d.subarray(15000), 1e-6, "swapped head order, first");
    expectClose(swapped.subarray(15000), d.subarray(0, 15000), 1e-6, "swapped head order, second");
    await expect(w.alignmentWeights(enc1, tf, [{ layer: 2, head: 0 }])).rejects.toThrow(/outside 2 layers/);
  });

  it("rejects bad inputs with messages that name them", async () => {
    await expect(w.encode(new Tensor("f32", [80, 100]))).rejects.toThrow(/mel: expected f32\[80, 3000\]/);
    await expect(w.logits([PROMPT, [1]], enc1)).rejects.toThrow(/expected 1 rows|rows differ/);
    await expect(w.logits([V], enc1)).rejects.toThrow(/outside the vocabulary/);
    await expect(w.greedy(enc2)).rejects.toThrow(/batch 1/);
    await expect(w.decoder(new Tensor("f32", [1, 10, 64]))).rejects.toThrow(/enc: expected f32\[batch, 1500, 64\]/);
  });

  it("runs with f16 weight storage, close to the f32 reference", async () => {
    const h = await Whisper.load(MICRO_DIR, { device, dtype: "f16" });
    const lg = await h.logits(PROMPT, enc1);
    // f16 keeps ~3 significant digits of each weight; logits here are O(10).
    const want = readF32("logits_step0.bin", [1, 2, V]);
    expectClose(lg, want, 0.1, "logits_step0 (f16 weights)");
    // …and not equal to it: the weights really were rounded to f16.
    expect(maxAbsDiff(lg.toFloat32Array(), want.toFloat32Array()).max).toBeGreaterThan(1e-4);
    // The cpu attention reads half K/V as stored (caps.halfKV), so the cross-attention K/V are
    // kept in f16 too; a session over two rows of one window (best-of, beams) copies them per
    // row in f16 and both rows decode alike.
    const s = await h.decoder(enc1, { rows: 2 });
    const cross = (s as unknown as { cross: readonly { dtype: string }[] }).cross;
    expect(cross.map((t) => t.dtype)).toEqual(Array(cross.length).fill(device === "cpu" ? "f16" : "f32"));
    const two = await s.step([PROMPT, PROMPT]);
    expectClose(two[0]!, want.toFloat32Array().subarray(V, 2 * V), 0.1, "row 0 (f16 weights)");
    expect(Array.from(two[1]!)).toEqual(Array.from(two[0]!));
    s.dispose();
    h.dispose();
  });

  it("gives the same logits from the OpenAI-named weight file", async () => {
    const o = await Whisper.load(MICRO_DIR, { device, weightsFile: "model-openai.safetensors" });
    const lg = await o.logits(PROMPT, enc1);
    expectClose(lg, readF32("logits_step0.bin", [1, 2, V]), 1e-4, "logits_step0 (OpenAI names)");
    o.dispose();
  });
});
