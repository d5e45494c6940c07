// Data-movement ops: permute, reshape, slice, concat, pad, broadcast_to. Each is an index
// remapping (a view for the backends); the reference copies through stridedCopy.

import { z } from "zod";
import { type Dim, dimAdd, dimDivExact, dimEq, dimProduct, dimSub, evalDim, shapeToString } from "../dim.js";
import { ShapeError } from "../errors.js";
import { roundTo } from "../dtype.js";
import { TensorType } from "../tensor-type.js";
import { i64Dims } from "./onnx-util.js";
import type { OpDef } from "./types.js";
import {
  broadcastIndex, broadcastShapes, dimAttr, dimFloorDiv, nd, normAxes, normAxis, permuteData, sameDType,
  sizeOf, stridedCopy, stridesOf,
} from "./util.js";

// ---------------------------------------------------------------------------------------------
const permuteAttrs = z.object({ dims: z.array(z.number().int()) }).strict();

export const permute: OpDef<z.infer<typeof permuteAttrs>> = {
  name: "permute",
  summary: "Reorder axes: output axis i is input axis dims[i] (negative axes count from the end).",
  signature: "permute(x, dims)",
  arity: 1, attrs: permuteAttrs, fusion: "movement",
  infer([x], a) {
    if (a.dims.length !== x!.rank)
      throw new ShapeError(`[permute] dims [${a.dims.join(", ")}] must list each of the ${x!.rank} axes of ${x} once`);
    const dims = normAxes("permute", a.dims, x!.rank);
    return x!.withShape(dims.map((d) => x!.shape[d]!));
  },
  reference([x], a, out) {
    const dims = normAxes("permute", a.dims, x!.shape.length);
    return nd(out.dtype, out.shape, permuteData(x!.data, x!.shape, dims));
  },
  onnx: (ctx, [x], a, t) => ctx.node("Transpose", [x!], { perm: normAxes("permute", a.dims, t.inputs[0]!.rank) }),
};

// ---------------------------------------------------------------------------------------------
const shapeAttrs = z.object({ shape: z.array(dimAttr) }).strict();

export const reshape: OpDef<z.infer<typeof shapeAttrs>> = {
  name: "reshape",
  summary: "Same elements in row-major order under a new shape; one dim may be -1 (inferred), dims may be symbolic.",
  signature: "reshape(x, shape)",
  arity: 1, attrs: shapeAttrs, fusion: "movement",
  infer([x], a) {
    const total = dimProduct(x!.shape);
    const holes = a.shape.filter((d) => d === -1).length;
    const bad = a.shape.find((d) => typeof d === "number" && d < -1);
    if (bad !== undefined) throw new ShapeError(`[reshape] bad dim ${bad} in target shape ${shapeToString(a.shape)}`);
    if (holes > 1) throw new ShapeError(`[reshape] at most one -1 allowed, got ${shapeToString(a.shape)}`);
    const known = dimProduct(a.shape.filter((d) => d !== -1));
    if (holes === 1) {
      const q = dimDivExact(total, known);
      if (q === undefined || known === 0)
        throw new ShapeError(`[reshape] cannot infer the -1 in ${shapeToString(a.shape)}: ${x} has ${total} elements, not a multiple of ${known}`);
      return x!.withShape(a.shape.map((d) => (d === -1 ? q : d)));
    }
    if (!dimEq(total, known))
      throw new ShapeError(`[reshape] cannot reshape ${x} (${total} elements) to ${shapeToString(a.shape)} (${known} elements)`);
    return x!.withShape(a.shape);
  },
  reference([x], _a, out) {
    if (sizeOf(out.shape) !== x!.data.length)
      throw new ShapeError(`[reshape] [${x!.shape.join(", ")}] has ${x!.data.length} elements, the target [${out.shape.join(", ")}] needs ${sizeOf(out.shape)}`);
    // A view: the interpreter never writes into an array it got from another node.
    return nd(out.dtype, out.shape, x!.data);
  },
  onnx(ctx, [x], a) {
    const attrs = a.shape.includes(0) ? { allowzero: 1 } : undefined;
    return ctx.node("Reshape", [x!, i64Dims(ctx, a.shape)], attrs);
  },
};

// ---------------------------------------------------------------------------------------------
// Slice bounds are numbers (negative counts from the end), symbolic dims ("past", "past+seq")
// or null (the whole extent in the step's direction, Python's `None`).
const bound = z.union([z.number().int(), z.string().min(1), z.null()]);
const sliceAttrs = z.object({
  starts: z.array(bound), ends: z.array(bound),
  axes: z.array(z.number().int()).optional(), steps: z.array(z.number().int()).optional(),
}).strict();
type SliceAttrs = z.infer<typeof sliceAttrs>;
type Bound = number | string | null;

interface AxisSlice { axis: number; start: Bound; end: Bound; step: number }

function sliceSpecs(a: SliceAttrs, rank: number): AxisSlice[] {
  const n = a.starts.length;
  const axes = a.axes ?? Array.from({ length: n }, (_, i) => i);
  const steps = a.steps ?? axes.map(() => 1);
  if (a.ends.length !== n || axes.length !== n || steps.length !== n)
    throw new ShapeError(`[slice] starts, ends, axes and steps must have equal lengths, got ${n}, ${a.ends.length}, ${axes.length}, ${steps.length}`);
  if (n > rank) throw new ShapeError(`[slice] ${n} bounds given for an input of rank ${rank}`);
  const norm = normAxes("slice", axes, rank);
  return norm.map((axis, i) => {
    if (steps[i] === 0) throw new ShapeError(`[slice] step must be nonzero on axis ${axis}`);
    return { axis, start: a.starts[i]!, end: a.ends[i]!, step: steps[i]! };
  });
}

/** NumPy's slice.indices: clamped start and element count for concrete bounds. */
export function pySlice(len: number, start: number | null, end: number | null, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s: number, e: number;
  if (step > 0) {
    s = start === null ? 0 : clamp(start < 0 ? start + len : start, 0, len);
    e = end === null ? len : clamp(end < 0 ? end + len : end, 0, len);
    return [s, Math.max(0, Math.ceil((e - s) / step))];
  }
  s = start === null ? len - 1 : clamp(start < 0 ? start + len : start, -1, len - 1);
  e = end === null ? -1 : clamp(end < 0 ? end + len : end, -1, len - 1);
  return [s, Math.max(0, Math.ceil((s - e) / -step))];
}

/** Output length of one sliced axis; symbolic bounds or dims are taken as in range (no clamping). */
function sliceLen(d: Dim, sl: AxisSlice, x: TensorType): Dim {
  const { start, end, step } = sl;
  if (typeof d === "number" && typeof start !== "string" && typeof end !== "string") return pySlice(d, start, end, step)[1];
  const abs = (b: number | string) => (typeof b === "number" && b < 0 ? dimAdd(d, b) : b);
  const s = start === null ? (step > 0 ? 0 : dimSub(d, 1)) : abs(start);
  const e = end === null ? (step > 0 ? d : -1) : abs(end);
  const span = step > 0 ? dimSub(e, s) : dimSub(s, e);
  const mag = Math.abs(step);
  if (typeof span === "number") return Math.max(0, Math.ceil(span / mag));
  const q = dimFloorDiv(dimAdd(span, mag - 1), mag);
  if (q === undefined)
    throw new ShapeError(`[slice] axis ${sl.axis} of ${x}: the length (${span}) / ${mag} is not a whole symbolic dim`);
  return q;
}

export const slice: OpDef<SliceAttrs> = {
  name: "slice",
  summary: "x[start:end:step] on the given axes; negative indices and steps as in NumPy, bounds may be symbolic.",
  signature: "slice(x, starts, ends, axes?, steps?)",
  arity: 1, attrs: sliceAttrs, fusion: "movement",
  infer([x], a) {
    const shape = [...x!.shape];
    for (const sl of sliceSpecs(a, x!.rank)) shape[sl.axis] = sliceLen(shape[sl.axis]!, sl, x!);
    return x!.withShape(shape);
  },
  reference([x], a, out) {
    const shape = x!.shape, st = stridesOf(shape);
    const strides = [...st];
    let base = 0;
    const env = out.env ?? {};
    const val = (b: Bound) => (typeof b === "string" ? evalDim(b, env) : b);
    for (const sl of sliceSpecs(a, shape.length)) {
      const [s, n] = pySlice(shape[sl.axis]!, val(sl.start), val(sl.end), sl.step);
      // Symbolic bounds were assumed in range when the graph was built; say so if they are not.
      if (n !== out.shape[sl.axis])
        throw new ShapeError(`[slice] axis ${sl.axis}: bounds ${sl.start}:${sl.end}:${sl.step} on size ${shape[sl.axis]} give ${n} elements, the graph expects ${out.shape[sl.axis]}`);
      base += s * st[sl.axis]!;
      strides[sl.axis] = st[sl.axis]! * sl.step;
    }
    return nd(out.dtype, out.shape, stridedCopy(x!.data, base, out.shape, strides));
  },
  onnx(ctx, [x], a, t) {
    const specs = sliceSpecs(a, t.inputs[0]!.rank);
    // ONNX clamps like NumPy; a huge bound stands for "to the end" in either direction.
    const BIG = Number.MAX_SAFE_INTEGER;
    const starts = specs.map((s) => s.start ?? (s.step > 0 ? 0 : BIG));
    const ends = specs.map((s) => s.end ?? (s.step > 0 ? BIG : -BIG));
    return ctx.node("Slice", [
      x!, i64Dims(ctx, starts), i64Dims(ctx, ends), ctx.i64(specs.map((s) => s.axis)), ctx.i64(specs.map((s) => s.step)),
    ]);
  },
};

// ---------------------------------------------------------------------------------------------
const axisAttrs = z.object({ axis: z.number().int() }).strict();

export const concat: OpDef<z.infer<typeof axisAttrs>> = {
  name: "concat",
  summary: "Join tensors along `axis`; the other dims must match. Symbolic lengths add up (\"past\" + 1 = \"past+1\").",
  signature: "concat(values, axis = 0)",
  arity: [1, Infinity], attrs: axisAttrs, fusion: "movement",
  infer(ts, a) {
    if (ts.length === 0) throw new ShapeError(`[concat] needs at least one value`);
    const dt = sameDType("concat", ts);
    const first = ts[0]!;
    for (const t of ts)
      if (t.rank !== first.rank) throw new ShapeError(`[concat] inputs differ in rank: ${ts.join(", ")}`);
    if (first.rank === 0) throw new ShapeError(`[concat] cannot concatenate scalars: ${ts.join(", ")}`);
    const axis = normAxis("concat", a.axis, first.rank);
    let len: Dim = 0;
    for (const t of ts) {
      t.shape.forEach((d, i) => {
        if (i !== axis && !dimEq(d, first.shape[i]!))
          throw new ShapeError(`[concat] inputs differ on axis ${i}: expected ${first.shape[i]}, got ${d} (${ts.join(", ")})`);
      });
      len = dimAdd(len, t.shape[axis]!);
    }
    const shape = [...first.shape];
    shape[axis] = len;
    return new TensorType(dt, shape);
  },
  reference(xs, a, out) {
    const axis = normAxis("concat", a.axis, out.shape.length);
    const outer = sizeOf(out.shape.slice(0, axis)), inner = sizeOf(out.shape.slice(axis + 1));
    const r = new Float64Array(sizeOf(out.shape));
    const row = out.shape[axis]! * inner;
    let off = 0;
    for (const x of xs) {
      const chunk = x.shape[axis]! * inner;
      for (let o = 0; o < outer; o++) r.set(x.data.subarray(o * chunk, (o + 1) * chunk), o * row + off);
      off += chunk;
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, xs, a) => ctx.node("Concat", xs, { axis: a.axis }),
};

// ---------------------------------------------------------------------------------------------
const padAttrs = z.object({
  pads: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  value: z.number().default(0),
}).strict();

export const pad: OpDef<z.infer<typeof padAttrs>> = {
  name: "pad",
  summary: "Constant padding: pads[i] = [before, after] elements of `value` around axis i.",
  signature: "pad(x, pads, value = 0)",
  arity: 1, attrs: padAttrs, fusion: "movement",
  infer([x], a) {
    if (a.pads.length !== x!.rank)
      throw new ShapeError(`[pad] needs one [before, after] pair per axis of ${x}: expected ${x!.rank}, got ${a.pads.length}`);
    return x!.withShape(x!.shape.map((d, i) => dimAdd(d, a.pads[i]![0] + a.pads[i]![1])));
  },
  reference([x], a, out) {
    // Movement results are not rounded by the interpreter, so the fill value is rounded here.
    const r = new Float64Array(sizeOf(out.shape)).fill(roundTo(out.dtype, a.value));
    const ost = stridesOf(out.shape);
    const base = a.pads.reduce((acc, [b], i) => acc + b * ost[i]!, 0);
    // Scatter the input into the interior: walk the input with counters, stepping output strides.
    const shape = x!.shape, rank = shape.length, n = x!.data.length;
    const counter = new Array<number>(rank).fill(0);
    let dst = base;
    for (let i = 0; i < n; i++) {
      r[dst] = x!.data[i]!;
      for (let ax = rank - 1; ax >= 0; ax--) {
        counter[ax]!++;
        dst += ost[ax]!;
        if (counter[ax]! < shape[ax]!) break;
        dst -= ost[ax]! * counter[ax]!;
        counter[ax] = 0;
      }
    }
    return nd(out.dtype, out.shape, r);
  },
  onnx(ctx, [x], a, t) {
    const pads = [...a.pads.map((p) => p[0]), ...a.pads.map((p) => p[1])];
    return ctx.node("Pad", [x!, ctx.i64(pads), ctx.scalar(t.output.dtype, a.value)], { mode: "constant" });
  },
};

// ---------------------------------------------------------------------------------------------
export const broadcast_to: OpDef<z.infer<typeof shapeAttrs>> = {
  name: "broadcast_to",
  summary: "Repeat size-1 (or missing leading) axes so x takes exactly `shape` (NumPy rules).",
  signature: "broadcast_to(x, shape)",
  arity: 1, attrs: shapeAttrs, fusion: "movement",
  infer([x], a) {
    const fail = () => new ShapeError(`[broadcast_to] cannot broadcast ${x} to ${shapeToString(a.shape)}`);
    if (a.shape.some((d) => typeof d === "number" && d < 0)) throw fail();
    if (a.shape.length < x!.rank) throw fail();
    let b: Dim[];
    try {
      b = broadcastShapes("broadcast_to", [x!.shape, a.shape]);
    } catch {
      throw fail();
    }
    if (!b.every((d, i) => dimEq(d, a.shape[i]!))) throw fail();
    return x!.withShape(a.shape);
  },
  reference([x], _a, out) {
    const idx = broadcastIndex(out.shape, x!.shape);
    if (!idx) return nd(out.dtype, out.shape, x!.data);
    const r = new Float64Array(idx.length);
    for (let i = 0; i < r.length; i++) r[i] = x!.data[idx[i]!]!;
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [x], a) => ctx.node("Expand", [x!, i64Dims(ctx, a.shape)]),
};
