// Memory planning: every temp buffer of a plan gets a slot in one arena. Slots are assigned
// statically by liveness (interval colouring over kernel order); slot sizes and offsets are
// evaluated per execute from the symbolic dims, so one plan serves every sequence length.

import { type Bindings, evalDim, dimSymbols } from "../dim.js";
import { DTYPE_BYTES } from "../dtype.js";
import type { Kernel, KernelPlan, View } from "./ir.js";

/** Arena offsets are multiples of this (a cache line; also what AVX-512 loads like). */
export const ARENA_ALIGN = 64;

export interface MemoryPlan {
  /** For each slot, the temp buffers that share it (never live at the same time). */
  readonly slots: readonly (readonly number[])[];
  /** buffer id -> slot (temps only). */
  readonly slotOf: ReadonlyMap<number, number>;
  /** buffer id -> [first kernel, last kernel] that touch it (temps only). */
  readonly live: ReadonlyMap<number, readonly [number, number]>;
}

export interface ArenaLayout {
  /** buffer id -> byte offset in the arena (temps only). */
  readonly offsets: ReadonlyMap<number, number>;
  /** buffer id -> bytes (temps only). */
  readonly bytes: ReadonlyMap<number, number>;
  readonly arenaBytes: number;
}

/** Every view a kernel reads or writes (backends use the same list to pass buffers). */
export function kernelViews(k: Kernel): View[] {
  switch (k.kind) {
    case "elementwise": return [...k.loads, ...k.stores.map((s) => s.view)];
    case "row": return [...k.loads, ...k.stores.map((s) => s.view), ...k.rowStores.map((s) => s.view)];
    case "gemm": return [k.a, k.b, k.c, ...(k.epilogue ? [...k.epilogue.loads, ...k.epilogue.stores.map((s) => s.view)] : [])];
    case "attention": return [k.q, k.k, k.v, k.out, ...(k.mask ? [k.mask] : [])];
    case "library":
      switch (k.op) {
        case "gather": return [k.x, k.indices, k.out];
        case "argmax": return [k.x, k.out];
        case "im2col": return [k.x, k.out];
      }
  }
}

/** Buffers a kernel touches, deduplicated. */
export function kernelBuffers(k: Kernel): number[] {
  return [...new Set(kernelViews(k).map((v) => v.buffer))];
}

/** Sizes used only to choose between free slots (best fit); symbols count as this many. */
const TYPICAL_SYMBOL = 256;

export function planMemory(plan: KernelPlan): MemoryPlan {
  const live = new Map<number, [number, number]>();
  plan.kernels.forEach((k, i) => {
    for (const b of kernelBuffers(k)) {
      if (plan.buffers[b]!.kind !== "temp") continue;
      const r = live.get(b);
      if (r) r[1] = i;
      else live.set(b, [i, i]);
    }
  });
  const typical = (b: number): number => {
    const buf = plan.buffers[b]!;
    const env = Object.fromEntries(dimSymbols(buf.size).map((s) => [s, TYPICAL_SYMBOL]));
    return evalDim(buf.size, env) * DTYPE_BYTES[buf.dtype];
  };
  const order = [...live.keys()].sort((a, b) => live.get(a)![0] - live.get(b)![0] || a - b);
  const slots: number[][] = [];
  const slotEnd: number[] = [];
  const slotSize: number[] = [];
  const slotOf = new Map<number, number>();
  for (const b of order) {
    const [start, end] = live.get(b)!;
    const size = typical(b);
    // A slot is free once its last occupant's final kernel ran (strictly before this one starts:
    // a kernel never reads and writes the same slot). Prefer the tightest fit, then the largest.
    let best = -1;
    for (let s = 0; s < slots.length; s++) {
      if (slotEnd[s]! >= start) continue;
      if (best < 0) { best = s; continue; }
      const fit = (x: number) => (slotSize[x]! >= size ? slotSize[x]! - size : Number.MAX_SAFE_INTEGER / 2 + (size - slotSize[x]!));
      if (fit(s) < fit(best)) best = s;
    }
    if (best < 0) {
      best = slots.length;
      slots.push([]);
      slotEnd.push(-1);
      slotSize.push(0);
    }
    slots[best]!.push(b);
    slotEnd[best] = end;
    slotSize[best] = Math.max(slotSize[best]!, size);
    slotOf.set(b, best);
  }
  return { slots, slotOf, live };
}

const align = (n: number) => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

/** Byte offsets of the temps for concrete dims: each slot is as large as its largest member. */
export function arenaLayout(plan: KernelPlan, mem: MemoryPlan, env: Bindings): ArenaLayout {
  const bytes = new Map<number, number>();
  const slotBytes = mem.slots.map((members) => {
    let m = 0;
    for (const b of members) {
      const buf = plan.buffers[b]!;
      const n = evalDim(buf.size, env) * DTYPE_BYTES[buf.dtype];
      bytes.set(b, n);
      m = Math.max(m, n);
    }
    return align(m);
  });
  const offsets = new Map<number, number>();
  let total = 0;
  mem.slots.forEach((members, s) => {
    for (const b of members) offsets.set(b, total);
    total += slotBytes[s]!;
  });
  return { offsets, bytes, arenaBytes: total };
}

export interface PeakBytes {
  /** The arena holding every temp. */
  readonly arena: number;
  /** The graph outputs. */
  readonly outputs: number;
  /** What the temps would take without reuse (for comparison). */
  readonly unshared: number;
}

/** Memory the plan needs for given dims (weights and inputs excluded: they belong to the caller). */
export function peakBytes(plan: KernelPlan, env: Bindings, mem: MemoryPlan = planMemory(plan)): PeakBytes {
  const lay = arenaLayout(plan, mem, env);
  let outputs = 0, unshared = 0;
  for (const b of plan.buffers) {
    const n = evalDim(b.size, env) * DTYPE_BYTES[b.dtype];
    if (b.kind === "output") outputs += n;
    if (b.kind === "temp" && mem.slotOf.has(b.id)) unshared += align(n);
  }
  return { arena: lay.arenaBytes, outputs, unshared };
}

