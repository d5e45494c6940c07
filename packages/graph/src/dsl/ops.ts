// The public DSL: `ops.*` functions. Each checks its inputs with readable messages and calls
// graph.add; the maths lives in the op's registry entry, never here.

import { Graph, Value, currentGraph } from "../ir/graph.js";
import { Tensor } from "../tensor.js";
import { GraphError } from "../errors.js";
import type { DType } from "../dtype.js";

export type TensorLike = Value | number;

function graphOf(op: string, xs: readonly TensorLike[]): Graph {
  for (const x of xs) if (x instanceof Value) return x.graph;
  try {
    return currentGraph();
  } catch {
    throw new GraphError(`[${op}] needs at least one graph value operand`);
  }
}

/** Turn a JS number into a scalar constant of the given dtype. */
function lift(g: Graph, x: TensorLike, dtype: DType): Value {
  if (x instanceof Value) return x;
  if (typeof x !== "number") throw new GraphError(`expected a graph value or a number, got ${typeof x}`);
  return g.constant(Tensor.fromArray(dtype, [], [x]));
}

function binary(op: "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "equal" | "greater" | "greater_equal" | "less" | "less_equal") {
  return (a: TensorLike, b: TensorLike): Value => {
    const g = graphOf(op, [a, b]);
    const dt = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : "f32";
    return g.add(op, [lift(g, a, dt), lift(g, b, dt)]);
  };
}

function unary(op: "neg" | "abs" | "exp" | "log" | "sqrt" | "rsqrt" | "tanh" | "erf" | "sin" | "cos" | "sigmoid" | "relu" | "silu") {
  return (x: Value): Value => graphOf(op, [x]).add(op, [x]);
}

/** Elementwise a + b with NumPy broadcasting. `ops.add(x, 1)` lifts the number to x's dtype. */
export const add = binary("add");
export const sub = binary("sub");
export const mul = binary("mul");
export const div = binary("div");
export const pow = binary("pow");
export const maximum = binary("maximum");
export const minimum = binary("minimum");
export const equal = binary("equal");
export const greater = binary("greater");
export const greater_equal = binary("greater_equal");
export const less = binary("less");
export const less_equal = binary("less_equal");

export const neg = unary("neg");
export const abs = unary("abs");
export const exp = unary("exp");
export const log = unary("log");
export const sqrt = unary("sqrt");
export const rsqrt = unary("rsqrt");
export const tanh = unary("tanh");
export const erf = unary("erf");
export const sin = unary("sin");
export const cos = unary("cos");
export const sigmoid = unary("sigmoid");
export const relu = unary("relu");
export const silu = unary("silu");

/** GELU, exact (erf) by default or the tanh approximation. */
export function gelu(x: Value, approximate: "none" | "tanh" = "none"): Value {
  return x.graph.add("gelu", [x], { approximate });
}

/** cond ? a : b; numbers are lifted to the dtype of the other branch. */
export function where(cond: Value, a: TensorLike, b: TensorLike): Value {
  const g = cond.graph;
  const dt = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : "f32";
  return g.add("where", [cond, lift(g, a, dt), lift(g, b, dt)]);
}

export function cast(x: Value, dtype: DType): Value {
  return x.graph.add("cast", [x], { dtype });
}

/**
 * Batched matrix product over the last two axes, leading axes broadcast.
 * @example
 * const g = new Graph("mm", [new TensorType("f32", [2, 3]), new TensorType("f32", [3, 4])]);
 * const y = ops.matmul(g.inputs[0], g.inputs[1]); // f32[2, 4]
 */
export function matmul(a: Value, b: Value): Value {
  return graphOf("matmul", [a, b]).add("matmul", [a, b]);
}

/** softmax along `axis` (default last). */
export function softmax(x: Value, axis = -1): Value {
  return x.graph.add("softmax", [x], { axis });
}

export function log_softmax(x: Value, axis = -1): Value {
  return x.graph.add("log_softmax", [x], { axis });
}

/** A constant tensor in the current graph (or `graph` when given). */
export function constant(t: Tensor, graph?: Graph): Value {
  return (graph ?? currentGraph()).constant(t);
}
