// Checks the log-mel front end against whisper's own output (../shared/fixtures/whisper-micro).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fft, planFft } from "./fft.js";
import { loadAudio } from "./load.js";
import { logMelSpectrogram, melFilters, padOrTrim, N_FRAMES, N_SAMPLES } from "./mel.js";
import { maxAbsDiff as maxDiff } from "../model/micro-fixture.js";

const SHARED = fileURLToPath(new URL("../../../../../shared/", import.meta.url));
const MICRO = `${SHARED}fixtures/whisper-micro/`;

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => maxDiff(a, b).max;

describe("fft", () => {
  it.each([1, 2, 7, 12, 49, 400])("matches a naive DFT for n = %i", (n) => {
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + 0.2 * i);
    const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
    const r0 = re.slice(), i0 = im.slice();
    fft(planFft(n), re, im, new Float64Array(n), new Float64Array(n));
    let err = 0;
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * j * k) / n;
        sr += r0[j]! * Math.cos(a) - i0[j]! * Math.sin(a);
        si += r0[j]! * Math.sin(a) + i0[j]! * Math.cos(a);
      }
      err = Math.max(err, Math.abs(sr - re[k]!), Math.abs(si - im[k]!));
    }
    expect(err).toBeLessThan(1e-9 * n);
  });
});

describe("logMelSpectrogram", () => {
  const audio = f32(`${MICRO}audio.bin`);
  const want = f32(`${MICRO}mel.bin`);

  it("matches whisper's mel.bin to 1e-4", () => {
    const mel = logMelSpectrogram(audio);
    expect(mel.nMels).toBe(80);
    expect(mel.nFrames).toBe(3000);
    expect(maxAbsDiff(mel.data, want)).toBeLessThan(1e-4);
  });

  it("reads jfk.wav as int16/32768 and gives the same mel", async () => {
    const samples = await loadAudio(`${SHARED}assets/jfk.wav`);
    expect(samples.length).toBe(176000);
    // Exact: the fixture's waveform is the same PCM16 / 32768 conversion, then zero padding.
    expect(Array.from(samples.subarray(0, 2000))).toEqual(Array.from(audio.subarray(0, 2000)));
    expect(maxAbsDiff(samples, audio.subarray(0, 176000))).toBe(0);
    const repoCopy = await loadAudio(fileURLToPath(new URL("../../../../samples/jfk.wav", import.meta.url)));
    expect(maxAbsDiff(repoCopy, samples)).toBe(0);
    const mel = logMelSpectrogram(padOrTrim(samples, N_SAMPLES));
    expect(maxAbsDiff(mel.data, want)).toBeLessThan(1e-4);
  });

  it("matches batch_mel item 1 (jfk reversed in time, then padded to 30 s)", () => {
    const batch = f32(`${MICRO}batch_mel.bin`);
    const rev = audio.slice(0, 176000).reverse();
    const mel = logMelSpectrogram(padOrTrim(rev));
    expect(maxAbsDiff(mel.data, batch.subarray(80 * 3000))).toBeLessThan(1e-4);
    expect(maxAbsDiff(logMelSpectrogram(audio).data, batch.subarray(0, 80 * 3000))).toBeLessThan(1e-4);
  });

  it("transcribe's route (padding = 30 s, first 3000 frames) agrees with pad_or_trim", () => {
    const mel = logMelSpectrogram(audio.subarray(0, 176000), 80, N_SAMPLES);
    expect(mel.nFrames).toBe(Math.floor((176000 + N_SAMPLES) / 160));
    const first = new Float32Array(80 * N_FRAMES);
    for (let m = 0; m < 80; m++) first.set(mel.data.subarray(m * mel.nFrames, m * mel.nFrames + N_FRAMES), m * N_FRAMES);
    expect(maxAbsDiff(first, want)).toBeLessThan(1e-4);
  });

  it("computes 3000 frames well under a second", () => {
    logMelSpectrogram(audio.subarray(0, 16000));
    // CPU time, not wall time, so a loaded test machine does not make this flaky.
    const c = process.cpuUsage();
    logMelSpectrogram(audio);
    const used = process.cpuUsage(c);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });

  it("supports 128 mel bins and rejects other counts", () => {
    const mel = logMelSpectrogram(audio.subarray(0, 32000), 128);
    expect(mel.nMels).toBe(128);
    expect(mel.nFrames).toBe(200);
    expect(mel.data.length).toBe(128 * 200);
    expect(melFilters(128).length).toBe(128 * 201);
    expect(() => logMelSpectrogram(audio, 64)).toThrow(/expected 80 or 128, got 64/);
  });

  it("puts a pure tone into the mel band holding its frequency", () => {
    // 1 kHz sits at rfft bin 25; the loudest mel row must be one whose filter peaks near there.
    const x = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const mel = logMelSpectrogram(x);
    const filters = melFilters(80);
    let best = 0, bestV = -Infinity;
    for (let m = 0; m < 80; m++) {
      const v = mel.data[m * mel.nFrames + 50]!;
      if (v > bestV) { bestV = v; best = m; }
    }
    expect(filters[best * 201 + 25]).toBeGreaterThan(0);
  });
});

describe("padOrTrim", () => {
  it("pads with zeros and trims", () => {
    const x = Float32Array.from([1, 2, 3]);
    expect(Array.from(padOrTrim(x, 5))).toEqual([1, 2, 3, 0, 0]);
    expect(Array.from(padOrTrim(x, 2))).toEqual([1, 2]);
    expect(padOrTrim(x, 3)).toBe(x);
  });
});
