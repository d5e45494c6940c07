// The seeded generator behind temperature sampling: xoshiro128** seeded through splitmix32, so a
// run with the same seed samples the same tokens on every device and platform.

/** A reproducible uniform generator on [0, 1) with 32-bit resolution. */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`[SeededRandom] seed: expected an integer, got ${seed}`);
    // splitmix32 spreads any seed (0 included) over the four state words, so none starts all-zero.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0; this.s3 >>>= 0;
    return result;
  }

  /** Uniform on [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Draw an index from softmax(logits / temperature) (torch's Categorical(logits=...).sample()):
 * -inf logits never win. Probabilities are formed in float64.
 */
export function sampleCategorical(logits: Float32Array, temperature: number, rng: SeededRandom): number {
  if (!(temperature > 0)) throw new RangeError(`[sampleCategorical] temperature: expected > 0, got ${temperature}`);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity) throw new RangeError("[sampleCategorical] logits: every token is suppressed (all -inf)");
  let total = 0;
  const w = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    w[i] = v === -Infinity ? 0 : Math.exp((v - max) / temperature);
    total += w[i]!;
  }
  const u = rng.next() * total;
  let acc = 0, last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    acc += w[i]!;
    last = i;
    if (u < acc) return i;
  }
  // Rounding can leave u just above the running sum: the last possible token takes it.
  return last;
}
