// The backend-neutral kernel IR: a KernelPlan is the ordered kernels of one graph, the buffers
// they read and write, and the symbolic dims passed at run time. Backends (C++, CUDA) print
// kernels from these records alone; nothing here knows about a device.

import type { Dim } from "../dim.js";
import type { DType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import type { Expr } from "./expr.js";

export type BufferKind = "input" | "output" | "weight" | "constant" | "temp";

/** One flat array of elements. Sizes are Dims, so symbolic buffers are sized at run time. */
export interface PlanBuffer {
  readonly id: number;
  kind: BufferKind;
  readonly dtype: DType;
  /** Element count. */
  readonly size: Dim;
  /** Logical shape of the value that created the buffer (for printing and output tensors). */
  shape: readonly Dim[];
  /** input: index in graph.inputs; output: index in graph.outputs. */
  index?: number;
  /** weight: its name. */
  name?: string;
  /** constant: its data. */
  data?: Tensor;
}

/**
 * How a kernel reads or writes a buffer over its iteration domain: element (i0, i1, ...) is at
 * offset + Σ ik·strides[k] (in elements). Stride 0 broadcasts; permutes, transposes, slices and
 * unit-axis reshapes are just other strides, so they cost no copy.
 */
export interface View {
  readonly buffer: number;
  readonly offset: Dim;
  readonly strides: readonly Dim[];
}

/** A value written by a kernel: `expr` evaluated at each domain point and stored through `view`. */
export interface Store {
  readonly view: View;
  readonly expr: Expr;
}

interface KernelBase {
  /** `k<idx>_<ops>`, e.g. k3_add_gelu, so profiles trace back to the IR. */
  readonly name: string;
  /** Graph node ids computed by this kernel. */
  readonly nodes: readonly number[];
}

/** A fused loop nest: every store is computed from loads (`arg i` = loads[i]) at each point. */
export interface ElementwiseKernel extends KernelBase {
  readonly kind: "elementwise";
  readonly shape: readonly Dim[];
  readonly loads: readonly View[];
  readonly stores: readonly Store[];
}

export type ReduceOp = "sum" | "max" | "min";

/** `name` = op over the row of `expr`; `expr` may use earlier reductions as vars. */
export interface Reduction {
  readonly name: string;
  readonly op: ReduceOp;
  readonly expr: Expr;
}

/**
 * A row kernel: for each point of `outer`, a sequence of reductions over the `inner` axes (one
 * pass over the row each, the row staying in cache), then per-element stores over outer ++ inner
 * and per-row stores over outer. Layer norm, softmax and reduce_* (with their elementwise
 * prologues and epilogues) are each one row kernel.
 */
export interface RowKernel extends KernelBase {
  readonly kind: "row";
  readonly outer: readonly Dim[];
  readonly inner: readonly Dim[];
  /** Views over outer ++ inner (per-row loads have 0 inner strides). */
  readonly loads: readonly View[];
  readonly reductions: readonly Reduction[];
  /** Per-element outputs (views over outer ++ inner). */
  readonly stores: readonly Store[];
  /** Per-row outputs (views over outer ++ inner with 0 inner strides; evaluated once per row). */
  readonly rowStores: readonly Store[];
}

/**
 * C[t] = alpha · A[t] · B[t] over the batch axes t, A: [batch.., m, k] (f32), B: [batch.., k, n]
 * (f32, f16 or bf16), C: a contiguous f32 [batch.., m, n]. The epilogue runs on each finished
 * tile: the var `acc` is C's value; its stores may overwrite C in place.
 */
export interface GemmKernel extends KernelBase {
  readonly kind: "gemm";
  readonly batch: readonly Dim[];
  readonly m: Dim;
  readonly n: Dim;
  readonly k: Dim;
  readonly a: View;
  readonly b: View;
  readonly bDType: DType;
  readonly c: View;
  readonly alpha: number;
  /** Loads and stores over batch ++ [m, n]; null when C is the result. */
  readonly epilogue: { readonly loads: readonly View[]; readonly stores: readonly Store[] } | null;
}

/**
 * out = softmax(scale · Q·Kᵀ + mask) · V per (batch, head), flash-style. Views have 4 strides
 * (batch, head, row, column) and a contiguous column (stride 1); the mask's view is additive f32.
 */
export interface AttentionKernel extends KernelBase {
  readonly kind: "attention";
  readonly batch: Dim;
  readonly heads: Dim;
  readonly lq: Dim;
  readonly lk: Dim;
  readonly d: Dim;
  readonly dv: Dim;
  readonly q: View;
  readonly k: View;
  readonly v: View;
  readonly out: View;
  readonly mask: View | null;
  readonly scale: number;
  /** Query i sees keys j <= i + (lk - lq). */
  readonly causal: boolean;
}

/** Library kernels: ops printed as fixed loops by each backend. Views here are contiguous. */
export type LibraryKernel = KernelBase & { readonly kind: "library" } & (
  | {
      /** out[o, t, i] = x[o, idx[t], i] (negative indices wrap). */
      readonly op: "gather";
      readonly outer: Dim; readonly len: Dim; readonly count: Dim; readonly inner: Dim;
      readonly x: View; readonly indices: View; readonly indexDType: DType; readonly out: View; readonly dtype: DType;
    }
  | {
      /** out[o, i] = first j maximising x[o, j, i] (NaN counts as largest); i32 result. */
      readonly op: "argmax";
      readonly outer: Dim; readonly len: Dim; readonly inner: Dim;
      readonly x: View; readonly dtype: DType; readonly out: View;
    }
  | {
      /**
       * The im2col matrix of a conv1d: col[n, c·K + kk, t] = x[n, c, t·stride - padLeft + kk·dilation]
       * (0 outside), so the convolution becomes one GEMM per batch item.
       */
      readonly op: "im2col";
      readonly batch: Dim; readonly channels: number; readonly length: Dim; readonly kernel: number; readonly outLength: Dim;
      readonly stride: number; readonly padLeft: number; readonly dilation: number;
      readonly x: View; readonly dtype: DType; readonly out: View;
    }
);

export type Kernel = ElementwiseKernel | RowKernel | GemmKernel | AttentionKernel | LibraryKernel;

/** Where a graph output lives once the plan ran. */
export interface PlanOutput {
  readonly buffer: number;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

export interface KernelPlan {
  readonly graphName: string;
  readonly buffers: readonly PlanBuffer[];
  readonly kernels: readonly Kernel[];
  /** Symbolic dims in the order their values are passed at run time (`dims[i]`). */
  readonly symbols: readonly string[];
  readonly outputs: readonly PlanOutput[];
  /** node id -> index of the kernel that computes it (for graph.toDot({ groups })). */
  readonly groups: ReadonlyMap<number, number>;
  /** Number of pure copy kernels (a movement op that could not stay a view). */
  readonly copies: number;
}
