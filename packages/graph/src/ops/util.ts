// Helpers shared by op entries: broadcasting, axis normalisation, strides, and checks that
// throw ShapeError/DTypeError with the op name and concrete values.

import { z } from "zod";
import { type Dim, dimDivExact, dimEq, dimSub, shapeToString } from "../dim.js";
import type { DType } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import type { TensorType } from "../tensor-type.js";
import type { NDArray } from "./types.js";

export const noAttrs = z.object({}).strict();

export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new ShapeError(`[${op}] axis ${axis} out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** NumPy broadcasting of several shapes; dims must be equal or 1. */
export function broadcastShapes(op: string, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d === 1) d = x;
      else if (!dimEq(d, x))
        throw new ShapeError(`[${op}] shapes ${shapes.map(shapeToString).join(" and ")} do not broadcast: ${d} vs ${x} at axis ${i}`);
    }
    out.push(d);
  }
  return out;
}

export function sameDType(op: string, types: readonly TensorType[]): DType {
  const d = types[0]!.dtype;
  for (const t of types)
    if (t.dtype !== d)
      throw new DTypeError(`[${op}] operand dtypes differ: ${types.map((x) => x.dtype).join(", ")}`);
  return d;
}

export function requireFloat(op: string, t: TensorType, what = "input"): void {
  if (t.dtype !== "f32" && t.dtype !== "f16" && t.dtype !== "bf16")
    throw new DTypeError(`[${op}] ${what} must be a float type (f32, f16, bf16), got ${t.dtype}`);
}

export function requireRank(op: string, t: TensorType, rank: number | [number, number], what = "input"): void {
  const [lo, hi] = typeof rank === "number" ? [rank, rank] : rank;
  if (t.rank < lo || t.rank > hi)
    throw new ShapeError(`[${op}] ${what} must have rank ${lo === hi ? lo : `${lo}..${hi}`}, got ${t} `.trim());
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * For each output index of a broadcast, the flat index into each input. Returns one Int32Array
 * per input (fast path: identical shapes map to identity).
 */
export function broadcastIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array | null {
  const n = sizeOf(outShape);
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return null;
  const rank = outShape.length;
  const pad = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  // Stride 0 on broadcast axes.
  const st = outShape.map((_, i) => (i < pad || inShape[i - pad] === 1 ? 0 : inStrides[i - pad]!));
  const idx = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let flat = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = flat;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]!++;
      flat += st[a]!;
      if (counter[a]! < outShape[a]!) break;
      flat -= st[a]! * counter[a]!;
      counter[a] = 0;
    }
  }
  return idx;
}

export function nd(dtype: DType, shape: readonly number[], data: Float64Array): NDArray {
  return { dtype, shape, data };
}

/** Split a shape around an axis into (outer, len, inner) element counts. */
export function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/** A dim attribute: a static size or a symbolic expression ("seq", "past+1"). */
export const dimAttr = z.union([z.number().int(), z.string().min(1)]);

/** Normalise a list of axes, rejecting repeats; errors name the op and the list as given. */
export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(op, a, rank));
  const seen = new Set<number>();
  for (const a of out) {
    if (seen.has(a)) throw new ShapeError(`[${op}] axis ${a} repeated in axes [${axes.join(", ")}]`);
    seen.add(a);
  }
  return out;
}

/**
 * floor(a / s) for a positive integer s, when the quotient is an integer polynomial after taking
 * out a constant remainder r (0 <= r < s): floor((2*n+1) / 2) = n. Undefined otherwise.
 */
export function dimFloorDiv(a: Dim, s: number): Dim | undefined {
  if (typeof a === "number") return Math.floor(a / s);
  for (let r = 0; r < s; r++) {
    const q = dimDivExact(dimSub(a, r), s);
    if (q !== undefined) return q;
  }
  return undefined;
}

/**
 * Copy a strided view into a new contiguous array: element (i0, i1, ...) of the result is
 * data[base + i0*strides[0] + i1*strides[1] + ...]. Permute, slice and friends are all this.
 */
export function stridedCopy(data: Float64Array, base: number, outShape: readonly number[], strides: readonly number[]): Float64Array {
  const rank = outShape.length;
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (rank === 0) { out[0] = data[base]!; return out; }
  // The innermost axis is a tight loop; outer axes step by counters.
  const last = rank - 1;
  const len = outShape[last]!, sl = strides[last]!;
  const counter = new Array<number>(rank).fill(0);
  let src = base;
  for (let o = 0; o < n; o += len) {
    for (let j = 0, s = src; j < len; j++, s += sl) out[o + j] = data[s]!;
    for (let a = last - 1; a >= 0; a--) {
      counter[a]!++;
      src += strides[a]!;
      if (counter[a]! < outShape[a]!) break;
      src -= strides[a]! * counter[a]!;
      counter[a] = 0;
    }
  }
  return out;
}

/** Data of `x` permuted so output axis i is input axis perm[i]. */
export function permuteData(data: Float64Array, shape: readonly number[], perm: readonly number[]): Float64Array {
  const st = stridesOf(shape);
  return stridedCopy(data, 0, perm.map((p) => shape[p]!), perm.map((p) => st[p]!));
}
