// A mixed-radix complex FFT (Stockham autosort, decimation in frequency) in float64, planned
// once per length, and the power spectrum of a real frame through a half-length FFT. Whisper's
// 400-point frames need a 200 = 4·2·5·5 point FFT: exact, no zero padding.

export interface FftPlan {
  readonly n: number;
  /** Radix of each stage, in the order they run. */
  readonly radices: readonly number[];
  /** Per stage: twiddles ω_len^(j·p) for j < radix, p < len/radix, as [re, im] pairs. */
  readonly twiddles: readonly Float64Array[];
  /** Per radix: the radix-point DFT matrix ω_r^(j·k), as [re, im] pairs. */
  readonly kernels: ReadonlyMap<number, Float64Array>;
}

function factorize(n: number): number[] {
  const out: number[] = [];
  let m = n;
  // Radix 4 first: fewer stages than 2·2 for the same work.
  while (m % 4 === 0) { out.push(4); m /= 4; }
  for (const p of [2, 3, 5]) while (m % p === 0) { out.push(p); m /= p; }
  for (let p = 7; m > 1; p += 2) while (m % p === 0) { out.push(p); m /= p; }
  return out;
}

export function planFft(n: number): FftPlan {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`[fft] length must be a positive integer, got ${n}`);
  const radices = factorize(n);
  const twiddles: Float64Array[] = [];
  const kernels = new Map<number, Float64Array>();
  let len = n;
  for (const r of radices) {
    const m = len / r;
    const tw = new Float64Array(2 * r * m);
    for (let j = 0; j < r; j++)
      for (let p = 0; p < m; p++) {
        const a = (-2 * Math.PI * j * p) / len;
        tw[2 * (j * m + p)] = Math.cos(a);
        tw[2 * (j * m + p) + 1] = Math.sin(a);
      }
    twiddles.push(tw);
    if (!kernels.has(r)) {
      const k = new Float64Array(2 * r * r);
      for (let j = 0; j < r; j++)
        for (let q = 0; q < r; q++) {
          const a = (-2 * Math.PI * ((j * q) % r)) / r;
          k[2 * (j * r + q)] = Math.cos(a);
          k[2 * (j * r + q) + 1] = Math.sin(a);
        }
      kernels.set(r, k);
    }
    len = m;
  }
  return { n, radices, twiddles, kernels };
}

const C5_1 = Math.cos((2 * Math.PI) / 5), C5_2 = Math.cos((4 * Math.PI) / 5);
const S5_1 = Math.sin((2 * Math.PI) / 5), S5_2 = Math.sin((4 * Math.PI) / 5);

/**
 * In-place forward DFT X[k] = Σ x[t]·e^(-2πi·tk/n) of (re, im), using (sre, sim) as scratch of
 * the same length. All four arrays must have length plan.n. Radices 2, 4 and 5 have unrolled
 * butterflies; any other radix uses its small DFT matrix.
 */
export function fft(plan: FftPlan, re: Float64Array, im: Float64Array, sre: Float64Array, sim: Float64Array): void {
  const n = plan.n;
  let xr = re, xi = im, yr = sre, yi = sim;
  let len = n, s = 1;
  let bufR = new Float64Array(8), bufI = new Float64Array(8);
  for (let stage = 0; stage < plan.radices.length; stage++) {
    const r = plan.radices[stage]!;
    const m = len / r;
    const tw = plan.twiddles[stage]!;
    for (let p = 0; p < m; p++) {
      if (r === 2) {
        const w1r = tw[2 * (m + p)]!, w1i = tw[2 * (m + p) + 1]!;
        for (let q = 0; q < s; q++) {
          const i0 = q + s * p, i1 = i0 + s * m;
          const a0r = xr[i0]!, a0i = xi[i0]!, a1r = xr[i1]!, a1i = xi[i1]!;
          const o = q + s * 2 * p;
          yr[o] = a0r + a1r; yi[o] = a0i + a1i;
          const dr = a0r - a1r, di = a0i - a1i;
          yr[o + s] = dr * w1r - di * w1i; yi[o + s] = dr * w1i + di * w1r;
        }
      } else if (r === 4) {
        const w1r = tw[2 * (m + p)]!, w1i = tw[2 * (m + p) + 1]!;
        const w2r = tw[2 * (2 * m + p)]!, w2i = tw[2 * (2 * m + p) + 1]!;
        const w3r = tw[2 * (3 * m + p)]!, w3i = tw[2 * (3 * m + p) + 1]!;
        for (let q = 0; q < s; q++) {
          const i0 = q + s * p, sm = s * m;
          const a0r = xr[i0]!, a0i = xi[i0]!, a1r = xr[i0 + sm]!, a1i = xi[i0 + sm]!;
          const a2r = xr[i0 + 2 * sm]!, a2i = xi[i0 + 2 * sm]!, a3r = xr[i0 + 3 * sm]!, a3i = xi[i0 + 3 * sm]!;
          const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
          const t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
          const o = q + s * 4 * p;
          yr[o] = t0r + t2r; yi[o] = t0i + t2i;
          // b1 = t1 − i·t3, b2 = t0 − t2, b3 = t1 + i·t3 (forward sign), then twiddled.
          const b1r = t1r + t3i, b1i = t1i - t3r;
          const b2r = t0r - t2r, b2i = t0i - t2i;
          const b3r = t1r - t3i, b3i = t1i + t3r;
          yr[o + s] = b1r * w1r - b1i * w1i; yi[o + s] = b1r * w1i + b1i * w1r;
          yr[o + 2 * s] = b2r * w2r - b2i * w2i; yi[o + 2 * s] = b2r * w2i + b2i * w2r;
          yr[o + 3 * s] = b3r * w3r - b3i * w3i; yi[o + 3 * s] = b3r * w3i + b3i * w3r;
        }
      } else if (r === 5) {
        const w1r = tw[2 * (m + p)]!, w1i = tw[2 * (m + p) + 1]!, w2r = tw[2 * (2 * m + p)]!, w2i = tw[2 * (2 * m + p) + 1]!;
        const w3r = tw[2 * (3 * m + p)]!, w3i = tw[2 * (3 * m + p) + 1]!, w4r = tw[2 * (4 * m + p)]!, w4i = tw[2 * (4 * m + p) + 1]!;
        for (let q = 0; q < s; q++) {
          const i0 = q + s * p, sm = s * m;
          const a0r = xr[i0]!, a0i = xi[i0]!;
          const a1r = xr[i0 + sm]!, a1i = xi[i0 + sm]!, a2r = xr[i0 + 2 * sm]!, a2i = xi[i0 + 2 * sm]!;
          const a3r = xr[i0 + 3 * sm]!, a3i = xi[i0 + 3 * sm]!, a4r = xr[i0 + 4 * sm]!, a4i = xi[i0 + 4 * sm]!;
          const t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
          const t3r = a1r - a4r, t3i = a1i - a4i, t4r = a2r - a3r, t4i = a2i - a3i;
          const r1r = a0r + C5_1 * t1r + C5_2 * t2r, r1i = a0i + C5_1 * t1i + C5_2 * t2i;
          const r2r = a0r + C5_2 * t1r + C5_1 * t2r, r2i = a0i + C5_2 * t1i + C5_1 * t2i;
          const u1r = S5_1 * t3r + S5_2 * t4r, u1i = S5_1 * t3i + S5_2 * t4i;
          const u2r = S5_2 * t3r - S5_1 * t4r, u2i = S5_2 * t3i - S5_1 * t4i;
          const o = q + s * 5 * p;
          yr[o] = a0r + t1r + t2r; yi[o] = a0i + t1i + t2i;
          // b1 = r1 − i·u1, b4 = r1 + i·u1, b2 = r2 − i·u2, b3 = r2 + i·u2.
          const b1r = r1r + u1i, b1i = r1i - u1r, b4r = r1r - u1i, b4i = r1i + u1r;
          const b2r = r2r + u2i, b2i = r2i - u2r, b3r = r2r - u2i, b3i = r2i + u2r;
          yr[o + s] = b1r * w1r - b1i * w1i; yi[o + s] = b1r * w1i + b1i * w1r;
          yr[o + 2 * s] = b2r * w2r - b2i * w2i; yi[o + 2 * s] = b2r * w2i + b2i * w2r;
          yr[o + 3 * s] = b3r * w3r - b3i * w3i; yi[o + 3 * s] = b3r * w3i + b3i * w3r;
          yr[o + 4 * s] = b4r * w4r - b4i * w4i; yi[o + 4 * s] = b4r * w4i + b4i * w4r;
        }
      } else {
        const ker = plan.kernels.get(r)!;
        if (bufR.length < r) { bufR = new Float64Array(r); bufI = new Float64Array(r); }
        for (let q = 0; q < s; q++) {
          for (let k = 0; k < r; k++) {
            bufR[k] = xr[q + s * (p + k * m)]!;
            bufI[k] = xi[q + s * (p + k * m)]!;
          }
          for (let j = 0; j < r; j++) {
            let sr = 0, si = 0;
            const kb = 2 * j * r;
            for (let k = 0; k < r; k++) {
              const wr = ker[kb + 2 * k]!, wi = ker[kb + 2 * k + 1]!;
              sr += bufR[k]! * wr - bufI[k]! * wi;
              si += bufR[k]! * wi + bufI[k]! * wr;
            }
            const twr = tw[2 * (j * m + p)]!, twi = tw[2 * (j * m + p) + 1]!;
            const o = q + s * (r * p + j);
            yr[o] = sr * twr - si * twi;
            yi[o] = sr * twi + si * twr;
          }
        }
      }
    }
    const tr = xr, ti = xi;
    xr = yr; xi = yi; yr = tr; yi = ti;
    len = m;
    s *= r;
  }
  if (xr !== re) { re.set(xr); im.set(xi); }
}

/**
 * Power spectrum |X[k]|², k = 0..n/2, of a real frame of even length n, through one complex FFT
 * of length n/2 (even samples as the real part, odd as the imaginary part).
 */
export class RealPowerSpectrum {
  readonly n: number;
  private readonly plan: FftPlan;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly sr: Float64Array;
  private readonly si: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    if (n % 2 !== 0) throw new RangeError(`[fft] RealPowerSpectrum needs an even length, got ${n}`);
    this.n = n;
    const h = n / 2;
    this.plan = planFft(h);
    this.zr = new Float64Array(h); this.zi = new Float64Array(h);
    this.sr = new Float64Array(h); this.si = new Float64Array(h);
    this.cos = Float64Array.from({ length: h + 1 }, (_, k) => Math.cos((-2 * Math.PI * k) / n));
    this.sin = Float64Array.from({ length: h + 1 }, (_, k) => Math.sin((-2 * Math.PI * k) / n));
  }

  /** Write n/2 + 1 power values of `frame` (length n) into `out`. */
  compute(frame: Float64Array, out: Float64Array): void {
    const h = this.n / 2;
    const zr = this.zr, zi = this.zi;
    for (let t = 0; t < h; t++) { zr[t] = frame[2 * t]!; zi[t] = frame[2 * t + 1]!; }
    fft(this.plan, zr, zi, this.sr, this.si);
    for (let k = 0; k <= h; k++) {
      const a = k % h, b = (h - k) % h;
      // E = (Z[k] + conj Z[h−k]) / 2 and O = (Z[k] − conj Z[h−k]) / 2i are the FFTs of the even
      // and odd samples; X[k] = E + e^(−2πik/n)·O.
      const er = (zr[a]! + zr[b]!) / 2, ei = (zi[a]! - zi[b]!) / 2;
      const or = (zi[a]! + zi[b]!) / 2, oi = -(zr[a]! - zr[b]!) / 2;
      const c = this.cos[k]!, s = this.sin[k]!;
      const xr = er + c * or - s * oi, xi = ei + c * oi + s * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
