// The contract every op entry fulfils (see docs/adding-an-op.md). One OpDef per op holds its
// attributes schema, type inference, reference semantics, ONNX mapping and fusion class.

import type { z } from "zod";
import type { DType } from "../dtype.js";
import type { Bindings } from "../dim.js";
import type { TensorType } from "../tensor-type.js";
import type { Expr } from "../plan/expr.js";
import type { OnnxEmitter } from "../onnx/emitter.js";

/** A concrete float64 array used by the reference interpreter (row-major). */
export interface NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** The concrete result the interpreter expects from `reference`. */
export interface RefOut {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly env?: Bindings;
}

/**
 * How the compiler may fuse an op:
 * - source: data that comes from outside the node (input, constant, weight)
 * - elementwise: out[i] depends on in[i] of each (broadcast) operand; has `expr` (iota has no
 *   operands: its expr reads the output index)
 * - reduction: reduces along axes (possibly with an elementwise prologue/epilogue built in)
 * - contraction: matmul-like; takes a fused epilogue
 * - movement: pure index remapping (permute, reshape, slice, broadcast): becomes a view
 * - opaque: everything else (gather, conv1d, argmax …), a library kernel
 */
export type FusionClass = "source" | "elementwise" | "reduction" | "contraction" | "movement" | "opaque";

export interface OpDef<A = Record<string, unknown>> {
  readonly name: string;
  /** One line for docs/ops.md. */
  readonly summary: string;
  /** How the op is called from the DSL, e.g. `layer_norm(x, gamma, beta, epsilon)`. */
  readonly signature: string;
  /** Number of tensor operands, or a [min, max] range (max Infinity for variadic). */
  readonly arity: number | readonly [number, number];
  readonly attrs: z.ZodType<A>;
  readonly fusion: FusionClass;
  infer(inputs: readonly TensorType[], attrs: A): TensorType;
  /**
   * Semantics in float64; the interpreter rounds the result to the output dtype. `out.env` binds
   * the graph's symbolic dims, for ops whose attributes name them (slice bounds, iota shape).
   */
  reference(inputs: readonly NDArray[], attrs: A, out: RefOut): NDArray;
  /** Emit ONNX nodes computing this op; returns the name of the output value. */
  onnx(ctx: OnnxEmitter, inputs: readonly string[], attrs: A, types: { inputs: readonly TensorType[]; output: TensorType }): string;
  /** Elementwise ops: the scalar expression of out[i] given the operands' scalars. */
  expr?(args: readonly Expr[], attrs: A, types: { inputs: readonly TensorType[]; output: TensorType }): Expr;
}
