// WAV decoding (every supported encoding), mixing, resampling quality and loadAudio's errors.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasFfmpeg, loadAudio } from "./load.js";
import { resample } from "./resample.js";
import { decodeWav, encodeWav } from "./wav.js";

const dir = mkdtempSync(join(tmpdir(), "mw-audio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Build a WAV by hand: `frames` are already-encoded little-endian sample bytes. */
function wav(opts: { tag: number; bits: number; channels: number; rate: number; data: number[]; extensible?: boolean; dataSize?: number; extraChunk?: boolean }): Uint8Array {
  const fmtSize = opts.extensible ? 40 : 16;
  const extra = opts.extraChunk ? 8 + 3 + 1 : 0; // an odd-sized LIST chunk with its pad byte
  const data = opts.data;
  const total = 12 + 8 + fmtSize + extra + 8 + data.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  const put = (at: number, s: string): void => { for (let i = 0; i < 4; i++) b[at + i] = s.charCodeAt(i); };
  put(0, "RIFF"); v.setUint32(4, total - 8, true); put(8, "WAVE");
  let p = 12;
  if (opts.extraChunk) { put(p, "LIST"); v.setUint32(p + 4, 3, true); p += 12; }
  put(p, "fmt "); v.setUint32(p + 4, fmtSize, true);
  v.setUint16(p + 8, opts.extensible ? 0xfffe : opts.tag, true);
  v.setUint16(p + 10, opts.channels, true); v.setUint32(p + 12, opts.rate, true);
  const align = (opts.bits / 8) * opts.channels;
  v.setUint32(p + 16, opts.rate * align, true); v.setUint16(p + 20, align, true); v.setUint16(p + 22, opts.bits, true);
  if (opts.extensible) {
    v.setUint16(p + 24, 22, true); v.setUint16(p + 26, opts.bits, true); v.setUint32(p + 28, 0, true);
    v.setUint16(p + 32, opts.tag, true); // SubFormat GUID starts with the format tag
  }
  p += 8 + fmtSize;
  put(p, "data"); v.setUint32(p + 4, opts.dataSize ?? data.length, true);
  b.set(data, p + 8);
  return b;
}

const le = (bytes: number, v: number): number[] => Array.from({ length: bytes }, (_, i) => (v >> (8 * i)) & 0xff);

describe("decodeWav", () => {
  it("decodes PCM8 (unsigned, 128 = 0)", () => {
    const w = decodeWav(wav({ tag: 1, bits: 8, channels: 1, rate: 16000, data: [0, 128, 255, 64] }));
    expect(Array.from(w.channels[0]!)).toEqual([-1, 0, 127 / 128, -0.5]);
    expect(w.format).toBe("pcm8");
  });

  it("decodes PCM16 exactly as int16/32768, skipping an odd-sized chunk before fmt", () => {
    const vals = [-32768, -1, 0, 1, 12345, 32767];
    const w = decodeWav(wav({ tag: 1, bits: 16, channels: 1, rate: 16000, data: vals.flatMap((x) => le(2, x)), extraChunk: true }));
    expect(Array.from(w.channels[0]!)).toEqual(vals.map((x) => Math.fround(x / 32768)));
  });

  it("decodes PCM24 and PCM32 with sign extension", () => {
    const v24 = [-8388608, -2, 0, 8388607, 4194304];
    const w24 = decodeWav(wav({ tag: 1, bits: 24, channels: 1, rate: 8000, data: v24.flatMap((x) => le(3, x)) }));
    expect(Array.from(w24.channels[0]!)).toEqual(v24.map((x) => Math.fround(x / 8388608)));
    const v32 = [-2147483648, -65536, 0, 1 << 30];
    const w32 = decodeWav(wav({ tag: 1, bits: 32, channels: 1, rate: 8000, data: v32.flatMap((x) => le(4, x)) }));
    expect(Array.from(w32.channels[0]!)).toEqual(v32.map((x) => Math.fround(x / 2147483648)));
  });

  it("decodes float32 and float64, and WAVE_FORMAT_EXTENSIBLE", () => {
    const f = new Float32Array([0.25, -0.5, 0.125]);
    const w = decodeWav(wav({ tag: 3, bits: 32, channels: 1, rate: 16000, data: Array.from(new Uint8Array(f.buffer)) }));
    expect(Array.from(w.channels[0]!)).toEqual([0.25, -0.5, 0.125]);
    const d = new Float64Array([0.75, -0.0625]);
    const w64 = decodeWav(wav({ tag: 3, bits: 64, channels: 1, rate: 16000, data: Array.from(new Uint8Array(d.buffer)), extensible: true }));
    expect(Array.from(w64.channels[0]!)).toEqual([0.75, -0.0625]);
    expect(w64.format).toBe("float64");
    const wx = decodeWav(wav({ tag: 1, bits: 16, channels: 2, rate: 16000, data: [...le(2, 100), ...le(2, -100)], extensible: true }));
    expect(wx.channels.map((c) => c[0])).toEqual([Math.fround(100 / 32768), Math.fround(-100 / 32768)]);
  });

  it("de-interleaves channels", () => {
    const data = [1, 2, 3, 4, 5, 6].flatMap((x) => le(2, x * 1000));
    const w = decodeWav(wav({ tag: 1, bits: 16, channels: 3, rate: 16000, data }));
    expect(w.channels.length).toBe(3);
    expect(w.channels.map((c) => Array.from(c).map((x) => Math.round(x * 32768)))).toEqual([[1000, 4000], [2000, 5000], [3000, 6000]]);
  });

  it("rejects unsupported encodings and truncated data with the file name", () => {
    expect(() => decodeWav(wav({ tag: 2, bits: 4, channels: 1, rate: 16000, data: [0, 0] }), "adpcm.wav"))
      .toThrow(/adpcm\.wav: unsupported WAV encoding.*format tag 0x2/);
    expect(() => decodeWav(wav({ tag: 1, bits: 16, channels: 1, rate: 16000, data: [0, 0, 0, 0], dataSize: 1000 }), "cut.wav"))
      .toThrow(/cut\.wav: truncated data chunk: header says 1000 bytes, file holds 4/);
  });
});

describe("loadAudio", () => {
  it("mixes stereo to mono and keeps 16 kHz PCM16 exact", async () => {
    const l = Float32Array.from([0.5, 0.25, -1]), r = Float32Array.from([0.25, 0.25, 0]);
    const p = join(dir, "stereo.wav");
    writeFileSync(p, encodeWav([l, r], 16000));
    expect(Array.from(await loadAudio(p))).toEqual([0.375, 0.25, -0.5]);
    expect(Array.from(await loadAudio(encodeWav([l], 16000)))).toEqual([0.5, 0.25, -1]);
  });

  it("resamples other rates to 16 kHz", async () => {
    const x = Float32Array.from({ length: 44100 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44100));
    const y = await loadAudio(encodeWav([x], 44100, "float32"));
    expect(y.length).toBe(16000);
    expect(fitSine(y.subarray(1000, 15000), 440, 16000).amplitude).toBeCloseTo(0.5, 3);
  });

  it("names the file in every error", async () => {
    await expect(loadAudio(join(dir, "nope.wav"))).rejects.toThrow(/nope\.wav: file not found/);
    const empty = join(dir, "empty.wav");
    writeFileSync(empty, "");
    await expect(loadAudio(empty)).rejects.toThrow(/empty\.wav: the file is empty/);
    const cut = join(dir, "cut.wav");
    writeFileSync(cut, encodeWav([new Float32Array(100)], 16000).subarray(0, 100));
    await expect(loadAudio(cut)).rejects.toThrow(/cut\.wav: truncated data chunk/);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello, this is not audio\n");
    await expect(loadAudio(text)).rejects.toThrow(hasFfmpeg() ? /notes\.txt: ffmpeg could not decode/ : /notes\.txt: not a WAV file.*ffmpeg/);
    await expect(loadAudio(dir)).rejects.toThrow(/is a directory/);
  });

  it.skipIf(hasFfmpeg())("says that ffmpeg is needed for other formats when it is missing", async () => {
    const mp3 = join(dir, "song.mp3");
    writeFileSync(mp3, Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]));
    await expect(loadAudio(mp3)).rejects.toThrow(/song\.mp3: MP3 audio needs ffmpeg to decode, and ffmpeg is not installed/);
  });
});

/** Least-squares fit of a sinusoid at a known frequency; returns amplitude and residual RMS. */
function fitSine(y: Float32Array, freq: number, rate: number): { amplitude: number; residual: number } {
  let ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
  for (let i = 0; i < y.length; i++) {
    const s = Math.sin((2 * Math.PI * freq * i) / rate), c = Math.cos((2 * Math.PI * freq * i) / rate);
    ss += s * s; cc += c * c; sc += s * c; ys += y[i]! * s; yc += y[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
  let r = 0;
  for (let i = 0; i < y.length; i++) {
    const e = y[i]! - a * Math.sin((2 * Math.PI * freq * i) / rate) - b * Math.cos((2 * Math.PI * freq * i) / rate);
    r += e * e;
  }
  return { amplitude: Math.hypot(a, b), residual: Math.sqrt(r / y.length) };
}

function rms(y: Float32Array): number {
  let s = 0;
  for (const v of y) s += v * v;
  return Math.sqrt(s / y.length);
}

describe("resample", () => {
  const tone = (f: number, rate: number, seconds = 1): Float32Array =>
    Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * f * i) / rate));

  it.each([44100, 48000, 22050, 8000, 11025, 96000])("keeps a 1 kHz sine's frequency and amplitude from %i Hz", (rate) => {
    const y = resample(tone(1000, rate), rate, 16000);
    expect(y.length).toBe(16000);
    // Away from the edges (where the filter sees zeros) the output is the same sine at 16 kHz.
    const fit = fitSine(y.subarray(800, 15200), 1000, 16000);
    expect(Math.abs(fit.amplitude - 1)).toBeLessThan(2e-3);
    expect(fit.residual).toBeLessThan(2e-3);
  });

  it("handles a rate that is not a small fraction of 16 kHz", () => {
    const rate = 44101.5;
    const y = resample(tone(700, rate), rate, 16000);
    const fit = fitSine(y.subarray(800, 15200), 700, 16000);
    expect(Math.abs(fit.amplitude - 1)).toBeLessThan(2e-3);
    expect(fit.residual).toBeLessThan(2e-3);
  });

  it.each([[44100, 12000], [48000, 9000], [48000, 8200], [44100, 20000]])("rejects a tone above the new Nyquist (%i Hz input, %i Hz tone)", (rate, f) => {
    // Without a band-limiting filter these tones would alias to audible frequencies below 8 kHz.
    const y = resample(tone(f, rate), rate, 16000);
    // -80 dB; the Kaiser(β=9) filter measures about -100 dB here.
    expect(rms(y.subarray(800, 15200))).toBeLessThan(1e-4);
  });

  it("keeps a constant exactly constant", () => {
    const y = resample(new Float32Array(4410).fill(0.5), 44100, 16000);
    for (const v of y.subarray(100, 1500)) expect(v).toBeCloseTo(0.5, 6);
  });

  it("rejects bad rates", () => {
    expect(() => resample(new Float32Array(4), 0, 16000)).toThrow(/rates must be positive/);
  });
});
