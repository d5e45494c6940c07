// Seeded test and example data: one small generator (mulberry32) shared by tests, examples and
// benchmarks, so the same seed gives the same tensors everywhere. Not for sampling in models.

import type { DType } from "./dtype.js";
import { Tensor } from "./tensor.js";

/** Seeded uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of seeded values uniform in [-scale, scale), rounded to the dtype. */
export function randomTensor(dtype: DType, shape: readonly number[], seed: number, scale = 1): Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * r() - 1) * scale;
  return Tensor.fromFloat64(dtype, shape, v);
}
