// Whisper's log-mel front end (whisper/audio.py: log_mel_spectrogram, pad_or_trim), computed on
// the host in float64 and stored as float32. The Slaney filterbanks ship as package data.

import { readFileSync } from "node:fs";
import { RealPowerSpectrum } from "./fft.js";

export const SAMPLE_RATE = 16000;
export const N_FFT = 400;
export const HOP_LENGTH = 160;
export const CHUNK_LENGTH = 30;
/** Samples in one 30 s window. */
export const N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE;
/** Mel frames in one 30 s window. */
export const N_FRAMES = N_SAMPLES / HOP_LENGTH;
const N_BINS = N_FFT / 2 + 1;

export interface MelSpectrogram {
  /** Row-major [nMels, nFrames]. */
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

/** Sparse view of one filterbank: each band's nonzero bins [start, end) and their weights. */
interface MelBank {
  nMels: number;
  dense: Float32Array;
  start: Int32Array;
  end: Int32Array;
}

const banks = new Map<number, MelBank>();

/** The [nMels, 201] Slaney filterbank whisper uses (librosa, sr 16000, n_fft 400), row-major. */
export function melFilters(nMels: number): Float32Array {
  return loadBank(nMels).dense;
}

function loadBank(nMels: number): MelBank {
  const hit = banks.get(nMels);
  if (hit) return hit;
  if (nMels !== 80 && nMels !== 128)
    throw new RangeError(`[logMelSpectrogram] unsupported number of mel bins: expected 80 or 128, got ${nMels}`);
  const url = new URL(`../../assets/mel_filters_${nMels}.bin`, import.meta.url);
  const bytes = readFileSync(url);
  if (bytes.byteLength !== nMels * N_BINS * 4)
    throw new Error(`[melFilters] ${url.pathname}: expected ${nMels * N_BINS * 4} bytes, got ${bytes.byteLength}`);
  const dense = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const start = new Int32Array(nMels), end = new Int32Array(nMels);
  for (let m = 0; m < nMels; m++) {
    let a = 0, b = N_BINS;
    while (a < b && dense[m * N_BINS + a] === 0) a++;
    while (b > a && dense[m * N_BINS + b - 1] === 0) b--;
    start[m] = a;
    end[m] = b;
  }
  const bank = { nMels, dense, start, end };
  banks.set(nMels, bank);
  return bank;
}

/** Zero-pad or trim samples to `length` (whisper's pad_or_trim on the last axis). */
export function padOrTrim(samples: Float32Array, length: number = N_SAMPLES): Float32Array {
  if (samples.length === length) return samples;
  if (samples.length > length) return samples.slice(0, length);
  const out = new Float32Array(length);
  out.set(samples);
  return out;
}

// torch.stft(center=True, pad_mode="reflect") mirrors without repeating the edge sample.
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

const spectrum = new RealPowerSpectrum(N_FFT);
const LOG10_FLOOR = Math.log10(1e-10);
// Periodic Hann window, as torch.hann_window(400) builds it.
const HANN = Float64Array.from({ length: N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));

/** frame = samples[t0..t0+400) (zeros past the end) · Hann; returns Σ|frame|. */
function windowed(samples: Float32Array, t0: number, frame: Float64Array): number {
  const m = Math.min(N_FFT, samples.length - t0);
  let any = 0;
  for (let t = 0; t < m; t++) any += Math.abs((frame[t] = samples[t0 + t]! * HANN[t]!));
  frame.fill(0, m);
  return any;
}

/** mel[b, f] = Σ_k bank[b, k] · power[k] over each band's nonzero bins. */
function applyBank(bank: MelBank, power: Float64Array, mel: Float64Array, f: number, nFrames: number): void {
  for (let m = 0; m < bank.nMels; m++) {
    let acc = 0;
    const row = m * N_BINS;
    for (let k = bank.start[m]!; k < bank.end[m]!; k++) acc += bank.dense[row + k]! * power[k]!;
    mel[m * nFrames + f] = acc;
  }
}

/** x = log10(max(x, 1e-10)) in place (the silent frames' zeros take the floor, computed once); returns the max. */
function log10InPlace(mel: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < mel.length; i++) {
    const x = mel[i]!;
    const v = x > 1e-10 ? Math.log10(x) : LOG10_FLOOR;
    mel[i] = v;
    if (v > max) max = v;
  }
  return max;
}

/**
 * Log-mel spectrogram of 16 kHz mono samples, exactly as whisper computes it: `padding` zeros are
 * appended, then a centred STFT (reflect padding 200, periodic Hann, hop 160, last frame dropped),
 * power, Slaney mel filters, log10(max(x, 1e-10)), clamp at (max − 8) over the whole result, and
 * (x + 4) / 4. Returns [nMels, floor((samples + padding) / 160)] row-major.
 */
export function logMelSpectrogram(samples: Float32Array, nMels = 80, padding = 0): MelSpectrogram {
  if (!(samples instanceof Float32Array))
    throw new TypeError(`[logMelSpectrogram] samples: expected Float32Array, got ${(samples as object)?.constructor?.name ?? typeof samples}`);
  if (!Number.isInteger(padding) || padding < 0)
    throw new RangeError(`[logMelSpectrogram] padding: expected a non-negative integer, got ${padding}`);
  const bank = loadBank(nMels);
  const n = samples.length + padding;
  if (n === 0) return { data: new Float32Array(0), nMels, nFrames: 0 };
  const nFrames = Math.floor(n / HOP_LENGTH);
  const at = (i: number): number => {
    const j = reflectIndex(i, n);
    return j < samples.length ? samples[j]! : 0;
  };

  const power = new Float64Array(N_BINS);
  const frame = new Float64Array(N_FFT);
  const mel = new Float64Array(nMels * nFrames);
  const half = N_FFT / 2;
  const len = samples.length;
  // The per-frame work is in small functions: V8 optimises them within the first call (a few
  // thousand frames), where one big loop would wait for on-stack replacement.
  for (let f = 0; f < nFrames; f++) {
    const t0 = f * HOP_LENGTH - half;
    let any: number;
    if (t0 >= 0 && t0 + N_FFT <= n) {
      // Inside the padded signal: samples, then the zero padding. A frame wholly in the padding
      // (most of a short clip padded to 30 s) is silent: its mel column stays 0.
      if (t0 >= len) continue;
      any = windowed(samples, t0, frame);
    } else {
      // Frames touching either end of the padded signal follow the reflect rule.
      any = 0;
      for (let t = 0; t < N_FFT; t++) any += Math.abs((frame[t] = at(t0 + t) * HANN[t]!));
    }
    // Silence inside the clip (or zeros appended by pad_or_trim) has an exactly zero spectrum
    // too: its mel column stays 0.
    if (any === 0) continue;
    spectrum.compute(frame, power);
    applyBank(bank, power, mel, f, nFrames);
  }
  const max = log10InPlace(mel);
  const floor = max - 8;
  const data = new Float32Array(mel.length);
  for (let i = 0; i < mel.length; i++) data[i] = (Math.max(mel[i]!, floor) + 4) / 4;
  return { data, nMels, nFrames };
}
