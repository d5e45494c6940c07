// Seeded random data for benchmark inputs (xorshift32 + Box-Muller), so every system in a run
// sees the same numbers.

import { type DType, Tensor } from "@max-whisper/graph";

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function randn(seed: number, n: number, scale = 1): Float32Array {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12), v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * scale;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function randomTensor(dtype: DType, shape: number[], seed: number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromFloat64(dtype, shape, randn(seed, n, scale));
}

export function randomInts(dtype: "i32" | "i64", shape: number[], seed: number, hi: number): Tensor {
  const r = rng(seed), n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(dtype, shape, Array.from({ length: n }, () => Math.floor(r() * hi)));
}
