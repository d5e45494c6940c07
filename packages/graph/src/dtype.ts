// Element types: names, byte sizes, storage arrays, and exact f16/bf16 conversion.
// Owns no tensor logic; Tensor and the backends build on these helpers.

export const DTYPES = ["f32", "f16", "bf16", "i32", "i64", "bool"] as const;
export type DType = (typeof DTYPES)[number];

export type Storage = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, bf16: 2, i32: 4, i64: 8, bool: 1 };

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && (DTYPES as readonly string[]).includes(x);
}
export function isFloat(d: DType): boolean {
  return d === "f32" || d === "f16" || d === "bf16";
}
export function isInt(d: DType): boolean {
  return d === "i32" || d === "i64";
}

export function allocStorage(dtype: DType, n: number): Storage {
  switch (dtype) {
    case "f32": return new Float32Array(n);
    case "f16": case "bf16": return new Uint16Array(n);
    case "i32": return new Int32Array(n);
    case "i64": return new BigInt64Array(n);
    case "bool": return new Uint8Array(n);
  }
}

/** Typed storage for `n` elements of `dtype` over existing memory (no copy). */
export function storageOver(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, n: number): Storage {
  switch (dtype) {
    case "f32": return new Float32Array(buffer, byteOffset, n);
    case "f16": case "bf16": return new Uint16Array(buffer, byteOffset, n);
    case "i32": return new Int32Array(buffer, byteOffset, n);
    case "i64": return new BigInt64Array(buffer, byteOffset, n);
    case "bool": return new Uint8Array(buffer, byteOffset, n);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * f32 bits of v rounded toward zero, with the low bit set when inexact ("round to odd"). Rounding
 * these bits once more to f16/bf16 equals one correct rounding of the float64 v, where plain f32
 * rounding first would round twice (wrong near ties).
 */
function f32BitsRoundToOdd(v: number): number {
  f32[0] = v;
  let x = u32[0]!;
  const r = f32[0]!;
  if (r !== v && !Number.isNaN(v)) {
    if (Math.abs(r) > Math.abs(v)) x -= 1;
    x |= 1;
  }
  return x >>> 0;
}

/** float -> IEEE binary16 bits, round to nearest even (handles subnormals, inf, nan). */
export function f32ToF16Bits(v: number): number {
  const x = f32BitsRoundToOdd(v);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  // Unbiased exponent re-biased for half (15).
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full 24-bit mantissa, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let out = sign | (e << 10) | (mant >>> 13);
  // A carry out of the mantissa correctly bumps the exponent (and can reach inf).
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1))) out++;
  return out;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float -> bfloat16 bits, round to nearest even on the f32 value (NaN stays quiet NaN). */
export function f32ToBf16Bits(v: number): number {
  const x = f32BitsRoundToOdd(v);
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** Round a float64 value to what the dtype can hold (used by the interpreter for every result). */
export function roundTo(dtype: DType, v: number): number {
  switch (dtype) {
    case "f32": return Math.fround(v);
    case "f16": return f16BitsToF32(f32ToF16Bits(v));
    case "bf16": return bf16BitsToF32(f32ToBf16Bits(v));
    case "i32": return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case "i64": return Number.isFinite(v) ? Math.trunc(v) : 0;
    case "bool": return v !== 0 && !Number.isNaN(v) ? 1 : 0;
  }
}

/** Read element i of a storage array as a JS number. */
export function readElement(dtype: DType, s: Storage, i: number): number {
  switch (dtype) {
    case "f16": return f16BitsToF32((s as Uint16Array)[i]!);
    case "bf16": return bf16BitsToF32((s as Uint16Array)[i]!);
    case "i64": return Number((s as BigInt64Array)[i]!);
    default: return (s as Float32Array | Int32Array | Uint8Array)[i]!;
  }
}

/** Write a JS number into element i, rounding as the dtype requires. */
export function writeElement(dtype: DType, s: Storage, i: number, v: number): void {
  switch (dtype) {
    case "f16": (s as Uint16Array)[i] = f32ToF16Bits(v); break;
    case "bf16": (s as Uint16Array)[i] = f32ToBf16Bits(v); break;
    case "i64": (s as BigInt64Array)[i] = BigInt(roundTo("i64", v)); break;
    default: (s as Float32Array | Int32Array | Uint8Array)[i] = roundTo(dtype, v);
  }
}

/** Largest relative rounding error of one value stored in the dtype (used for tolerances). */
export const DTYPE_EPS: Record<DType, number> = {
  f32: 2 ** -23, f16: 2 ** -10, bf16: 2 ** -7, i32: 0, i64: 0, bool: 0,
};
