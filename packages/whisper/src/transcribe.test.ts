// transcribe() by behaviour on every test device: the first window's tokens and word timings
// against the openai-whisper golden (the pieces that full runs in transcribe-a/b.test.ts compose),
// temperature fallback, seeded sampling, progress and option errors.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tensor } from "@max-whisper/graph";
import { Whisper } from "./whisper.js";
import { MICRO_DIR, testDevices } from "./model/micro-fixture.js";
import { LONG_WAV, golden } from "./transcribe-fixture.js";
import { N_FRAMES, N_SAMPLES, loadAudio, logMelSpectrogram } from "./audio/index.js";
import { decodeWindow } from "./decoding/task.js";
import { compressionRatio } from "./decoding/compression.js";
import { getTokenizer } from "./tokenizer/index.js";
import { type Word, addWordTimestamps } from "./timing/alignment.js";

const devices = await testDevices();
const audio = await loadAudio(LONG_WAV);

/** Mel frames 0..3000 of the whole clip padded with 30 s, as transcribe() slices its first window. */
function firstWindow(): Tensor {
  const m = logMelSpectrogram(audio, 80, N_SAMPLES);
  const out = new Float32Array(80 * N_FRAMES);
  for (let b = 0; b < 80; b++) out.set(m.data.subarray(b * m.nFrames, b * m.nFrames + N_FRAMES), b * N_FRAMES);
  return new Tensor("f32", [80, N_FRAMES], out);
}

// Behaviour tests are device-independent logic over the decoder: they run on the fastest device
// only (the device parity itself is transcribe-a/b's job).
const behaviourDevice = devices.includes("cpu") ? "cpu" : "reference";

describe.each(devices)("transcribe pieces on %s", (device) => {
  let w: Whisper;
  beforeAll(async () => {
    w = await Whisper.load(MICRO_DIR, { device });
  });
  afterAll(() => w?.dispose());
  const tk = getTokenizer({ multilingual: false });

  it("decodes the first window's first tokens as openai-whisper does (with and without timestamps)", async () => {
    const enc = await w.encode(firstWindow());
    for (const key of ["timestamps", "no_timestamps"]) {
      const { golden: g, options } = golden(key);
      // The first window's sampled tokens are its segments' tokens, concatenated (seek 0).
      const expected = g.segments.filter((s) => s.seek === 0).flatMap((s) => s.tokens).slice(0, 10);
      const r = await decodeWindow(w, enc, { tokenizer: tk, temperature: 0, withoutTimestamps: options.withoutTimestamps, sampleLen: 10 });
      expect(r.tokens, key).toEqual(expected);
      // The no-speech probability is read at sot in the first step, so it is the window's own.
      expect(Math.abs(r.noSpeechProb - g.segments[0]!.no_speech_prob)).toBeLessThanOrEqual(1e-3);
      expect(r.compressionRatio).toBe(compressionRatio(r.text));
    }
  }, 120_000);

  it("times the first window's words as openai-whisper does", async () => {
    // Window 0 decodes the same with and without word timestamps (no prompt yet), so the
    // timestamps golden gives its segments before timing, and the word_timestamps golden after.
    const before = golden("timestamps").golden.segments.filter((s) => s.seek === 0);
    const after = golden("word_timestamps").golden.segments.filter((s) => s.seek === 0);
    const segs = before.map((s) => ({ seek: s.seek, start: s.start, end: s.end, tokens: [...s.tokens] as number[], words: undefined as Word[] | undefined }));
    const enc = await w.encode(firstWindow());
    await addWordTimestamps({ segments: segs, model: w, tokenizer: tk, enc, numFrames: N_FRAMES, lastSpeechTimestamp: 0 });
    expect(segs.map((s) => [s.start, s.end])).toEqual(after.map((s) => [s.start, s.end]));
    segs.forEach((s, i) => {
      const e = after[i]!.words!;
      // A zero-length segment loses its words afterwards (transcribe clears it).
      if (after[i]!.start === after[i]!.end) return;
      expect(s.words!.map((x) => [x.word, x.start, x.end])).toEqual(e.map((x) => [x.word, x.start, x.end]));
      s.words!.forEach((x, j) => expect(Math.abs(x.probability - e[j]!.probability)).toBeLessThanOrEqual(1e-3));
    });
  }, 120_000);

  const short = audio.slice(0, 16000 * 3);
  const base = { language: "en", sampleLen: 6, logprobThreshold: null, noSpeechThreshold: null, bestOf: 2 } as const;

  const itB = it.skipIf(device !== behaviourDevice);
  itB("falls back to the next temperature when the compression-ratio check fails", async () => {
    // Threshold above any ratio: the first (greedy) decoding stands.
    const pass = await w.transcribe(short, { ...base, temperature: [0, 0.4], compressionRatioThreshold: 1000 });
    expect(pass.segments.length).toBeGreaterThan(0);
    for (const s of pass.segments) expect(s.temperature).toBe(0);
    // Threshold 0: every window fails at 0 and is decoded again (sampled) at 0.4, which it reports.
    const fail = await w.transcribe(short, { ...base, temperature: [0, 0.4], compressionRatioThreshold: 0 });
    expect(fail.segments.length).toBeGreaterThan(0);
    for (const s of fail.segments) expect(s.temperature).toBe(0.4);
  }, 120_000);

  itB("samples reproducibly from the seed", async () => {
    const opts = { ...base, temperature: 1.0, compressionRatioThreshold: null };
    const a = await w.transcribe(short, { ...opts, seed: 1 });
    const b = await w.transcribe(short, { ...opts, seed: 1 });
    expect(b).toEqual(a);
    // Another seed: sampled at temperature 1 over 51864 tokens, some run differs.
    const others = [];
    for (const seed of [2, 3]) others.push(await w.transcribe(short, { ...opts, seed }));
    expect(others.some((o) => JSON.stringify(o.segments.map((s) => s.tokens)) !== JSON.stringify(a.segments.map((s) => s.tokens)))).toBe(true);
  }, 120_000);

  itB("drops the previous text from the prompt after a window sampled above temperature 0.5", async () => {
    // Without timestamps the 41 s clip is two whole windows.
    const clip = audio;
    const opts = { ...base, bestOf: 1, compressionRatioThreshold: null, seed: 3, withoutTimestamps: true };
    const run = (temperature: number, conditionOnPreviousText: boolean) => w.transcribe(clip, { ...opts, temperature, conditionOnPreviousText });
    const hot = await run(0.6, true), hotFree = await run(0.6, false);
    expect(new Set(hot.segments.map((s) => s.seek)).size).toBeGreaterThan(1); // several windows
    // Above 0.5 the prompt is reset after every window: conditioning changes nothing.
    expect(hot).toEqual(hotFree);
    // At 0.4 the previous text is the next window's prompt, and the decoding sees it.
    const warm = await run(0.4, true), warmFree = await run(0.4, false);
    expect(warm).not.toEqual(warmFree);
  }, 120_000);

  itB("reports progress up to 1 and rejects bad options with their name", async () => {
    const seen: number[] = [];
    await w.transcribe(short, { ...base, temperature: 0, onProgress: (f: number) => seen.push(f) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    // @ts-expect-error: a misspelt option must also be rejected at run time (plain JS callers)
    await expect(w.transcribe(short, { temprature: 0 })).rejects.toThrow(/unknown option "temprature"/);
    await expect(w.transcribe(short, { temperature: -1 })).rejects.toThrow(/temperature/);
    await expect(w.transcribe(short, { bestOf: 0 })).rejects.toThrow(/bestOf/);
    await expect(w.transcribe("/no/such/file.wav")).rejects.toThrow(/\/no\/such\/file\.wav/);
  }, 120_000);
});
