// View algebra: strides and offsets for permute, reshape, slice and broadcast, over possibly
// symbolic shapes. A function returns null when the result is not expressible as one strided
// view (a reshape that merges non-adjacent memory); the caller then materialises a copy.

import { type Dim, dimAdd, dimDivExact, dimEq, dimMul } from "../dim.js";
import type { View } from "./ir.js";

export function contiguousStrides(shape: readonly Dim[]): Dim[] {
  const s = new Array<Dim>(shape.length);
  let acc: Dim = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc = dimMul(acc, shape[i]!);
  }
  return s;
}

export function contiguousView(buffer: number, shape: readonly Dim[]): View {
  return { buffer, offset: 0, strides: contiguousStrides(shape) };
}

export function viewKey(v: View): string {
  return `${v.buffer}@${v.offset}/${v.strides.join(",")}`;
}

/** True when the view reads `shape` as one dense row-major block starting at its offset. */
export function isContiguous(v: View, shape: readonly Dim[]): boolean {
  const c = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || dimEq(v.strides[i]!, c[i]!));
}

export function permuteView(v: View, perm: readonly number[]): View {
  return { ...v, strides: perm.map((p) => v.strides[p]!) };
}

/** NumPy broadcasting of a view over `from` to the larger shape `to`: new and size-1 axes get stride 0. */
export function broadcastView(v: View, from: readonly Dim[], to: readonly Dim[]): View {
  const pad = to.length - from.length;
  const strides = to.map((_, i) => (i < pad || from[i - pad] === 1 ? 0 : v.strides[i - pad]!));
  return { ...v, strides };
}

/**
 * Strides that read `from` (with `strides`) as `to` in row-major order, or null when some group of
 * merged axes is not one arithmetic progression in memory. Symbolic dims are matched by exact
 * polynomial division.
 */
export function reshapeStrides(from: readonly Dim[], strides: readonly Dim[], to: readonly Dim[]): Dim[] | null {
  if (from.some((d) => d === 0) || to.some((d) => d === 0)) return contiguousStrides(to);
  // A dense block reshapes to a dense block, whatever the symbolic factors.
  const dense = contiguousStrides(from);
  if (from.every((d, i) => d === 1 || dimEq(strides[i]!, dense[i]!))) return contiguousStrides(to);
  const src = from.map((d, i) => ({ d, s: strides[i]! })).filter((a) => a.d !== 1);
  const out = new Array<Dim>(to.length).fill(0);
  let i = 0, j = 0;
  while (j < to.length) {
    if (to[j] === 1) { out[j++] = 0; continue; }
    if (i >= src.length) return null;
    // Grow a group of source axes [i0, i) and target axes [j0, j) until their products agree.
    const i0 = i, j0 = j;
    let ps: Dim = src[i++]!.d, pt: Dim = to[j++]!;
    while (!dimEq(ps, pt)) {
      const grow = typeof ps === "number" && typeof pt === "number" ? (ps < pt ? "src" : "tgt")
        : dimDivExact(pt, ps) !== undefined ? "src" : dimDivExact(ps, pt) !== undefined ? "tgt" : null;
      // Neither divides the other (3 vs n): merge one more source axis and look again.
      if ((grow === "src" || grow === null) && i < src.length) ps = dimMul(ps, src[i++]!.d);
      else if ((grow === "tgt" || grow === null) && j < to.length) pt = dimMul(pt, to[j++]!);
      else return null;
    }
    // The source group must be one progression: stride[a] = stride[a+1] · dim[a+1].
    for (let a = i0; a < i - 1; a++)
      if (!dimEq(src[a]!.s, dimMul(src[a + 1]!.s, src[a + 1]!.d))) return null;
    let st: Dim = src[i - 1]!.s;
    for (let b = j - 1; b >= j0; b--) {
      out[b] = to[b] === 1 ? 0 : st;
      st = dimMul(st, to[b]!);
    }
  }
  return i === src.length ? out : null;
}

export function reshapeView(v: View, from: readonly Dim[], to: readonly Dim[]): View | null {
  const s = reshapeStrides(from, v.strides, to);
  return s ? { ...v, strides: s } : null;
}

/** Slice one axis: first element `start`, every `step`-th. */
export function sliceAxis(v: View, axis: number, start: Dim, step: number): View {
  const strides = [...v.strides];
  const offset = dimAdd(v.offset, dimMul(start, strides[axis]!));
  strides[axis] = dimMul(strides[axis]!, step);
  return { ...v, offset, strides };
}

/** Whether two adjacent domain axes (a, a+1) can merge into one for every view. */
export function canMerge(views: readonly View[], shape: readonly Dim[], a: number): boolean {
  return views.every((v) => dimEq(v.strides[a]!, dimMul(v.strides[a + 1]!, shape[a + 1]!)));
}

/**
 * Merge adjacent axes wherever every view allows it (skipping axes in `keep`), so loops run over
 * as few, as long axes as possible. Returns the merged shape and each view's strides.
 */
export function collapseAxes(shape: readonly Dim[], views: readonly View[], keep: ReadonlySet<number> = new Set()): { shape: Dim[]; views: View[] } {
  let sh = [...shape];
  let vs = views.map((v) => ({ ...v, strides: [...v.strides] }));
  // Size-1 axes carry no iteration: drop them (unless an index expression names them).
  const live = sh.map((d, i) => d !== 1 || keep.has(i));
  if (sh.length > 1 && keep.size === 0) {
    const idx = sh.map((_, i) => i).filter((i) => live[i]);
    sh = idx.map((i) => sh[i]!);
    vs = vs.map((v) => ({ ...v, strides: idx.map((i) => v.strides[i]!) }));
  }
  if (keep.size > 0) return { shape: sh, views: vs };
  for (let a = sh.length - 2; a >= 0; a--) {
    if (!canMerge(vs, sh, a)) continue;
    const merged = dimMul(sh[a]!, sh[a + 1]!);
    sh = [...sh.slice(0, a), merged, ...sh.slice(a + 2)];
    vs = vs.map((v) => ({ ...v, strides: [...v.strides.slice(0, a), v.strides[a + 1]!, ...v.strides.slice(a + 2)] }));
  }
  return { shape: sh, views: vs };
}
