// Band-limited sample-rate conversion: a Kaiser-windowed sinc evaluated as a polyphase filter
// bank (one phase per distinct output position when the rate ratio is a small fraction).
// Does not mix channels; load.ts does that first.

export interface ResampleOptions {
  /** Zero crossings of the sinc on each side, at the lower of the two rates (filter length). */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency (keeps the transition band below it). */
  rolloff?: number;
  /** Kaiser window shape; 9 gives about 90 dB of stopband attenuation. */
  beta?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

// Zeroth-order modified Bessel function of the first kind, by its power series.
function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const MAX_PHASES = 4096;

/**
 * Resample mono samples from `fromRate` to `toRate` Hz. Output length is
 * ceil(n · toRate / fromRate). Frequencies above ~rolloff × the lower Nyquist are removed before
 * decimation, so nothing above the new Nyquist aliases into the band.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number, opts: ResampleOptions = {}): Float32Array {
  if (!(fromRate > 0) || !(toRate > 0) || !Number.isFinite(fromRate) || !Number.isFinite(toRate))
    throw new RangeError(`[resample] rates must be positive: got ${fromRate} -> ${toRate}`);
  if (fromRate === toRate) return input;
  const zc = opts.zeroCrossings ?? 32;
  const rolloff = opts.rolloff ?? 0.94;
  const beta = opts.beta ?? 9;
  // Work with integer rates when we can: exact phases; otherwise quantise the phase finely.
  const intRates = Number.isInteger(fromRate) && Number.isInteger(toRate);
  const g = intRates ? gcd(fromRate, toRate) : 1;
  const up = intRates ? toRate / g : toRate;
  const down = intRates ? fromRate / g : fromRate;
  const exact = intRates && up <= MAX_PHASES;
  const phases = exact ? up : MAX_PHASES;

  // Cutoff in cycles per input sample; the sinc spans `zc` zero crossings at that cutoff.
  const fc = (Math.min(1, toRate / fromRate) * rolloff) / 2;
  const halfWidth = zc / (2 * fc);
  const taps = 2 * Math.ceil(halfWidth) + 1;
  const left = Math.ceil(halfWidth);
  const i0beta = besselI0(beta);
  // table[ph][k]: weight of input sample (n0 - left + k) for output at n0 + ph/phases.
  const table = new Float32Array((phases + 1) * taps);
  for (let ph = 0; ph <= phases; ph++) {
    const frac = ph / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const d = k - left - frac;
      let w = 0;
      if (Math.abs(d) < halfWidth) {
        const x = 2 * fc * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = d / halfWidth;
        w = 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0beta);
      }
      table[ph * taps + k] = w;
      sum += w;
    }
    // Unit gain at DC for every phase, so a constant stays exactly constant.
    for (let k = 0; k < taps; k++) table[ph * taps + k]! /= sum;
  }

  const n = input.length;
  const outLen = Math.ceil((n * toRate) / fromRate);
  const out = new Float32Array(outLen);
  for (let i = 0; i < outLen; i++) {
    let n0: number, row0: number, row1 = -1, mix = 0;
    if (exact) {
      const num = i * down; // position i·down/up in input samples, kept as an exact fraction
      n0 = Math.floor(num / up);
      row0 = (num - n0 * up) * taps;
    } else {
      const pos = (i * down) / up;
      n0 = Math.floor(pos);
      const f = (pos - n0) * phases;
      const ph = Math.floor(f);
      mix = f - ph;
      row0 = ph * taps;
      row1 = (ph + 1) * taps;
    }
    const start = n0 - left;
    const k0 = Math.max(0, -start), k1 = Math.min(taps, n - start);
    let acc = 0;
    if (row1 < 0) {
      for (let k = k0; k < k1; k++) acc += input[start + k]! * table[row0 + k]!;
    } else {
      for (let k = k0; k < k1; k++)
        acc += input[start + k]! * ((1 - mix) * table[row0 + k]! + mix * table[row1 + k]!);
    }
    out[i] = acc;
  }
  return out;
}
