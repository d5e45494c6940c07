// The public DSL: `ops.*` functions. Each checks its inputs with readable messages and calls
// graph.add; the maths lives in the op's registry entry, never here. Composites (transpose,
// split, causal_mask, scaled_dot_product_attention) are compositions of registry ops.

import { Graph, Value, currentGraph } from "../ir/graph.js";
import { Tensor } from "../tensor.js";
import { DTypeError, GraphError, ShapeError, userCallSite } from "../errors.js";
import type { DType } from "../dtype.js";
import { type Dim, dimAdd, dimEq, shapeToString } from "../dim.js";
import { broadcastShapes } from "../ops/util.js";

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

/**
 * Elementwise a + b with NumPy broadcasting: shapes align from the right and size-1 or missing
 * axes repeat ([2, 2] and [2] give [2, 2]; symbolic dims broadcast by name). A JS number is lifted
 * to a scalar constant of the other operand's dtype, so `ops.add(x, 1)` keeps x's dtype.
 * Dtypes: both operands one numeric dtype (not bool), which the result keeps.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes or bool.
 * @example
 * const g = new Graph("add", [new TensorType("f32", [2, 2]), new TensorType("f32", [2])]);
 * g.output(ops.add(g.inputs[0], g.inputs[1]), ops.add(g.inputs[0], 1));
 * const [r, s] = interpret(g, [Tensor.fromArray("f32", [2, 2], [1, 2, 3, 4]), Tensor.fromArray("f32", [2], [10, 20])]);
 * assert.deepEqual(r.toArray(), [11, 22, 13, 24]);
 * assert.deepEqual(s.toArray(), [2, 3, 4, 5]);
 */
export const add = binary("add");

/**
 * Elementwise a - b with broadcasting, as {@link add}; either side may be a JS number (lifted to
 * the other side's dtype). Dtypes: one numeric dtype (not bool). Throws as {@link add}.
 * @example
 * const g = new Graph("sub", [new TensorType("i32", [3])]);
 * g.output(ops.sub(10, g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("i32", [3], [1, 2, 3])]);
 * assert.deepEqual(r.toArray(), [9, 8, 7]);
 */
export const sub = binary("sub");

/**
 * Elementwise a · b with broadcasting, as {@link add}. Dtypes: one dtype; bool is allowed (logical
 * and). Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("mul", [new TensorType("f32", [2, 1]), new TensorType("f32", [3])]);
 * g.output(ops.mul(g.inputs[0], g.inputs[1]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 1], [1, 2]), Tensor.fromArray("f32", [3], [1, 10, 100])]);
 * assert.deepEqual(r.toArray(), [1, 10, 100, 2, 20, 200]);
 */
export const mul = binary("mul");

/**
 * Elementwise a / b with broadcasting, as {@link add}. Floats divide exactly (x / 0 is ±Infinity or
 * NaN); integers truncate toward zero, as in C. Dtypes: one numeric dtype (not bool).
 * Throws as {@link add}.
 * @example
 * const g = new Graph("div", [new TensorType("i32", [2]), new TensorType("f32", [2])]);
 * g.output(ops.div(g.inputs[0], 2), ops.div(g.inputs[1], 4));
 * const [q, f] = interpret(g, [Tensor.fromArray("i32", [2], [7, -7]), Tensor.fromArray("f32", [2], [1, -3])]);
 * assert.deepEqual(q.toArray(), [3, -3]);
 * assert.deepEqual(f.toArray(), [0.25, -0.75]);
 */
export const div = binary("div");

/**
 * Elementwise a^b (Math.pow semantics: a negative base with a fractional exponent is NaN) with
 * broadcasting, as {@link add}. Dtypes: one numeric dtype (not bool). Throws as {@link add}.
 * @example
 * const g = new Graph("pow", [new TensorType("f32", [3])]);
 * g.output(ops.pow(g.inputs[0], 2), ops.pow(2, g.inputs[0]));
 * const [sq, p2] = interpret(g, [Tensor.fromArray("f32", [3], [3, -1, 0.5])]);
 * assert.deepEqual(sq.toArray(), [9, 1, 0.25]);
 * assert.deepEqual(p2.toArray(), [8, 0.5, Math.fround(Math.SQRT2)]);
 */
export const pow = binary("pow");

/**
 * Elementwise maximum of two tensors with broadcasting, as {@link add}; NaN in either operand gives NaN.
 * For the maximum over axes use {@link max}. Dtypes: one dtype (bool allowed: logical or). Throws ShapeError when the shapes do
 * not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("maximum", [new TensorType("f32", [3])]);
 * g.output(ops.maximum(g.inputs[0], 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [-1, 2, NaN])]);
 * assert.deepEqual(r.toArray(), [0, 2, NaN]);
 */
export const maximum = binary("maximum");

/**
 * Elementwise minimum of two tensors with broadcasting, as {@link add}; NaN propagates. Dtypes: one
 * dtype (bool allowed: logical and). Throws ShapeError when the shapes do not broadcast, DTypeError
 * for mixed dtypes.
 * @example
 * const g = new Graph("minimum", [new TensorType("i32", [2, 2]), new TensorType("i32", [2])]);
 * g.output(ops.minimum(g.inputs[0], g.inputs[1]));
 * const [r] = interpret(g, [Tensor.fromArray("i32", [2, 2], [1, 5, 7, 2]), Tensor.fromArray("i32", [2], [3, 3])]);
 * assert.deepEqual(r.toArray(), [1, 3, 3, 2]);
 */
export const minimum = binary("minimum");

/**
 * Elementwise a == b with broadcasting, as {@link add}; the result is **bool** (true reads back as 1). Dtypes: both
 * operands one dtype, bool included; a JS number takes the other operand's dtype.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes. NaN equals nothing, itself included.
 * @example
 * const g = new Graph("eq", [new TensorType("f32", [3]), new TensorType("f32", [3])]);
 * g.output(ops.equal(g.inputs[0], g.inputs[1]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [1, NaN, 3]), Tensor.fromArray("f32", [3], [1, NaN, 4])]);
 * assert.equal(r.dtype, "bool");
 * assert.deepEqual(r.toArray(), [1, 0, 0]);
 */
export const equal = binary("equal");

/**
 * Elementwise a > b with broadcasting, as {@link add}; the result is **bool** (true reads back as 1). Dtypes: both
 * operands one dtype, bool included; a JS number takes the other operand's dtype.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("gt", [new TensorType("f32", ["seq", 3]), new TensorType("f32", [3])]);
 * const y = ops.greater(g.inputs[0], g.inputs[1]); // bool[seq, 3]
 * g.output(y);
 * const [r] = interpret(g, [Tensor.fromArray("f32", [1, 3], [1, 2, 3]), Tensor.fromArray("f32", [3], [2, 2, 2])]);
 * assert.deepEqual(r.toArray(), [0, 0, 1]);
 */
export const greater = binary("greater");

/**
 * Elementwise a >= b with broadcasting, as {@link add}; the result is **bool** (true reads back as 1). Dtypes: both
 * operands one dtype, bool included; a JS number takes the other operand's dtype.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("ge", [new TensorType("i32", [3])]);
 * g.output(ops.greater_equal(g.inputs[0], 2));
 * const [r] = interpret(g, [Tensor.fromArray("i32", [3], [1, 2, 3])]);
 * assert.deepEqual(r.toArray(), [0, 1, 1]);
 */
export const greater_equal = binary("greater_equal");

/**
 * Elementwise a < b with broadcasting, as {@link add}; the result is **bool** (true reads back as 1). Dtypes: both
 * operands one dtype, bool included; a JS number takes the other operand's dtype.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("lt", [new TensorType("i32", [3])]);
 * g.output(ops.less(g.inputs[0], 2));
 * const [r] = interpret(g, [Tensor.fromArray("i32", [3], [1, 2, 3])]);
 * assert.deepEqual(r.toArray(), [1, 0, 0]);
 */
export const less = binary("less");

/**
 * Elementwise a <= b with broadcasting, as {@link add}; the result is **bool** (true reads back as 1). Dtypes: both
 * operands one dtype, bool included; a JS number takes the other operand's dtype.
 * Throws ShapeError when the shapes do not broadcast, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("le", [new TensorType("f32", [2, 1]), new TensorType("f32", [1, 2])]);
 * const y = ops.less_equal(g.inputs[0], g.inputs[1]); // bool[2, 2]
 * g.output(y);
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 1], [1, 2]), Tensor.fromArray("f32", [1, 2], [1, 2])]);
 * assert.deepEqual(r.toArray(), [1, 1, 0, 1]);
 */
export const less_equal = binary("less_equal");

/**
 * Elementwise negation, -x.
 * Shape and dtype are x's. Dtypes: any numeric (ints too); throws DTypeError for bool.
 * @example
 * const g = new Graph("neg", [new TensorType("i32", [3])]);
 * g.output(ops.neg(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("i32", [3], [1, -2, 3])]);
 * assert.deepEqual(r.toArray(), [-1, 2, -3]);
 */
export const neg = unary("neg");

/**
 * Elementwise absolute value |x|.
 * Shape and dtype are x's. Dtypes: any numeric (ints too); throws DTypeError for bool.
 * @example
 * const g = new Graph("abs", [new TensorType("f32", [3])]);
 * g.output(ops.abs(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [-1.5, 2, -Infinity])]);
 * assert.deepEqual(r.toArray(), [1.5, 2, Infinity]);
 */
export const abs = unary("abs");

/**
 * Elementwise e^x.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("exp", [new TensorType("f32", [3])]);
 * g.output(ops.exp(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [0, 1, -Infinity])]);
 * assert.deepEqual(r.toArray(), [1, Math.fround(Math.E), 0]);
 */
export const exp = unary("exp");

/**
 * Elementwise natural logarithm: log(0) is -Infinity, a negative input gives NaN.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("log", [new TensorType("f32", [3])]);
 * g.output(ops.log(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [1, 0, -1])]);
 * assert.deepEqual(r.toArray(), [0, -Infinity, NaN]);
 */
export const log = unary("log");

/**
 * Elementwise square root; a negative input gives NaN.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("sqrt", [new TensorType("f32", [3])]);
 * g.output(ops.sqrt(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [4, 2, -1])]);
 * assert.deepEqual(r.toArray(), [2, Math.fround(Math.SQRT2), NaN]);
 */
export const sqrt = unary("sqrt");

/**
 * Elementwise reciprocal square root 1/sqrt(x): rsqrt(0) is Infinity.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("rsqrt", [new TensorType("f32", [3])]);
 * g.output(ops.rsqrt(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [4, 0.25, 0])]);
 * assert.deepEqual(r.toArray(), [0.5, 2, Infinity]);
 */
export const rsqrt = unary("rsqrt");

/**
 * Elementwise hyperbolic tangent, in (-1, 1).
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("tanh", [new TensorType("f16", ["seq", 2])]);
 * const y = ops.tanh(g.inputs[0]); // f16[seq, 2]
 * g.output(y);
 * const [r] = interpret(g, [Tensor.fromArray("f16", [1, 2], [0, 100])]);
 * assert.deepEqual(r.toArray(), [0, 1]);
 */
export const tanh = unary("tanh");

/**
 * Elementwise Gauss error function (2/sqrt(pi)) · integral of e^(-t²) from 0 to x.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("erf", [new TensorType("f32", [3])]);
 * g.output(ops.erf(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [0, 1, -10])]);
 * assert.deepEqual(r.toArray().map((v) => +v.toFixed(6)), [0, 0.842701, -1]);
 */
export const erf = unary("erf");

/**
 * Elementwise sine (radians).
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("sin", [new TensorType("f32", [2])]);
 * g.output(ops.sin(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2], [0, Math.PI / 2])]);
 * assert.deepEqual(r.toArray(), [0, 1]);
 */
export const sin = unary("sin");

/**
 * Elementwise cosine (radians).
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("cos", [new TensorType("f32", [2])]);
 * g.output(ops.cos(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2], [0, Math.PI])]);
 * assert.deepEqual(r.toArray(), [1, -1]);
 */
export const cos = unary("cos");

/**
 * Elementwise logistic sigmoid 1 / (1 + e^-x), in [0, 1]; computed without overflow for large |x|.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("sigmoid", [new TensorType("f32", [3])]);
 * g.output(ops.sigmoid(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [0, -1000, 1000])]);
 * assert.deepEqual(r.toArray(), [0.5, 0, 1]);
 */
export const sigmoid = unary("sigmoid");

/**
 * Elementwise max(x, 0). Float only: for integers use `ops.maximum(x, 0)`.
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("relu", [new TensorType("f32", [3])]);
 * g.output(ops.relu(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3], [-1, 0, 2.5])]);
 * assert.deepEqual(r.toArray(), [0, 0, 2.5]);
 */
export const relu = unary("relu");

/**
 * Elementwise SiLU (swish), x · sigmoid(x).
 * Shape and dtype are x's. Dtypes: f32, f16, bf16; throws DTypeError for any other.
 * @example
 * const g = new Graph("silu", [new TensorType("f32", [2])]);
 * g.output(ops.silu(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2], [0, 1])]);
 * assert.deepEqual(r.toArray(), [0, Math.fround(1 / (1 + Math.exp(-1)))]);
 */
export const silu = unary("silu");

/**
 * GELU, elementwise: exact x · Φ(x) = 0.5 · x · (1 + erf(x / sqrt 2)) by default (as
 * torch.nn.GELU()), or with `approximate: "tanh"` the form
 * 0.5 · x · (1 + tanh(sqrt(2/pi) · (x + 0.044715 · x³))). Shape and dtype are x's.
 * Dtypes: f32, f16, bf16; throws DTypeError for any other, GraphError for another `approximate`.
 * @example
 * const g = new Graph("gelu", [new TensorType("f32", [2])]);
 * g.output(ops.gelu(g.inputs[0]), ops.gelu(g.inputs[0], "tanh"));
 * const [exact, approx] = interpret(g, [Tensor.fromArray("f32", [2], [0, 1])]);
 * assert.deepEqual(exact.toArray().map((v) => +v.toFixed(4)), [0, 0.8413]);
 * assert.deepEqual(approx.toArray().map((v) => +v.toFixed(4)), [0, 0.8412]);
 */
export function gelu(x: Value, approximate: "none" | "tanh" = "none"): Value {
  return x.graph.add("gelu", [x], { approximate });
}

/**
 * Elementwise select, cond ? a : b. cond, a and b broadcast together (NumPy rules); numbers are
 * lifted to the dtype of the other branch. Dtypes: cond is bool; a and b share a dtype, which the
 * result has. Throws DTypeError when cond is not bool or a and b differ in dtype, ShapeError when
 * the shapes do not broadcast.
 * @example
 * const g = new Graph("where", [new TensorType("f32", [4])]);
 * const x = g.inputs[0];
 * g.output(ops.where(ops.less(x, 0), 0, x));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [4], [-2, 3, -0.5, 1])]);
 * assert.deepEqual(r.toArray(), [0, 3, 0, 1]);
 */
export function where(cond: Value, a: TensorLike, b: TensorLike): Value {
  const g = cond.graph;
  const dt = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : "f32";
  return g.add("where", [cond, lift(g, a, dt), lift(g, b, dt)]);
}

/**
 * Convert x to `dtype`, keeping the shape. Floats to integers truncate toward zero; to bool,
 * nonzero is true; to a narrower float (f16, bf16) values round to nearest. Dtypes: any to any.
 * Throws GraphError ("bad attributes") for an unknown dtype.
 * @example
 * const g = new Graph("cast", [new TensorType("f32", [3])]);
 * const i = ops.cast(g.inputs[0], "i32"); // i32[3]
 * g.output(i, ops.cast(g.inputs[0], "bool"));
 * const [r, b] = interpret(g, [Tensor.fromArray("f32", [3], [1.7, -1.7, 0])]);
 * assert.deepEqual(r.toArray(), [1, -1, 0]);
 * assert.deepEqual(b.toArray(), [1, 1, 0]);
 */
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

/**
 * Softmax along `axis` (default last; negative counts from the end):
 * exp(x - max) / sum(exp(x - max)), so large inputs do not overflow and each slice along `axis`
 * sums to 1. Shape and dtype are x's. Dtypes: f32, f16, bf16. Throws ShapeError for an axis out of
 * range, DTypeError for a non-float input.
 * @example
 * const g = new Graph("softmax", [new TensorType("f32", [2, 2])]);
 * g.output(ops.softmax(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 2], [0, 0, 1000, 1000 + Math.log(3)])]);
 * assert.deepEqual(r.toArray().map((v) => +v.toFixed(3)), [0.5, 0.5, 0.25, 0.75]);
 */
export function softmax(x: Value, axis = -1): Value {
  return x.graph.add("softmax", [x], { axis });
}

/**
 * log(softmax(x)) along `axis` (default last), computed stably as x - max - log(sum(exp(x - max))).
 * Shape and dtype are x's. Dtypes: f32, f16, bf16. Throws ShapeError for an axis out of range,
 * DTypeError for a non-float input.
 * @example
 * const g = new Graph("lsm", [new TensorType("f32", [2, 2])]);
 * g.output(ops.log_softmax(g.inputs[0], 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 2], [0, 5, 0, 5])]);
 * assert.deepEqual(r.toArray(), Array(4).fill(Math.fround(-Math.LN2)));
 */
export function log_softmax(x: Value, axis = -1): Value {
  return x.graph.add("log_softmax", [x], { axis });
}

/**
 * A constant tensor baked into `graph` when given, else into the current graph (the last one
 * created or being built). Its type is the tensor's dtype and static shape. Throws GraphError when
 * no graph is given and there is no current graph.
 * @example
 * const g = new Graph("const");
 * const c = ops.constant(Tensor.fromArray("i32", [2, 2], [1, 2, 3, 4]), g); // i32[2, 2]
 * g.output(ops.mul(c, 10));
 * const [r] = interpret(g, []);
 * assert.deepEqual(r.toArray(), [10, 20, 30, 40]);
 */
export function constant(t: Tensor, graph?: Graph): Value {
  return (graph ?? currentGraph()).constant(t);
}

// ---- checks made by composites before they call graph.add ------------------------------------

/** A DSL-level error naming the op, the operands and the user's call site, like graph.add's. */
function dslError(Ctor: typeof ShapeError | typeof DTypeError, op: string, msg: string, operands: readonly Value[]): Error {
  const site = userCallSite();
  return new Ctor(`[${op}] ${msg} (operands: ${operands.map((v) => `${v.type}`).join(", ") || "none"})${site ? ` at ${site}` : ""}`);
}

function allAxes(x: Value, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return Array.from({ length: x.rank }, (_, i) => i);
  return typeof axes === "number" ? [axes] : [...axes];
}

// ---- reductions ------------------------------------------------------------------------------

/**
 * Sum over `axes` (IR op `reduce_sum`). Omitted axes reduce everything; `keepdims` keeps the
 * reduced axes with size 1. Note: MAX's `sum` keeps a single axis; this follows NumPy/PyTorch.
 *
 * Shapes: [2, 3] with axes 1 → [2] (keepdims: [2, 1]). Dtypes: any numeric (not bool); the
 * result has the input's dtype. Throws ShapeError for an axis out of range or repeated.
 * @example
 * const g = new Graph("sum", [new TensorType("f32", [2, 3])]);
 * const y = ops.sum(g.inputs[0], 1);
 * g.output(y);
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 3], [1, 2, 3, 4, 5, 6])]);
 * assert.deepEqual(r.toArray(), [6, 15]);
 */
export function sum(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  return x.graph.add("reduce_sum", [x], { axes: allAxes(x, axes), keepdims });
}

/**
 * Arithmetic mean over `axes` (IR op `reduce_mean`); omitted axes reduce everything.
 * Dtypes: f32, f16, bf16 (DTypeError otherwise). Shapes as {@link sum}.
 * @example
 * const g = new Graph("mean", [new TensorType("f32", ["batch", 4])]);
 * assert.equal(String(ops.mean(g.inputs[0], -1, true).type), "f32[batch, 1]");
 */
export function mean(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  return x.graph.add("reduce_mean", [x], { axes: allAxes(x, axes), keepdims });
}

/**
 * Maximum over `axes` (IR op `reduce_max`; NaN propagates). Omitted axes reduce everything.
 * For the elementwise maximum of two tensors use {@link maximum}.
 * Dtypes: any numeric. Throws ShapeError for bad axes, DTypeError for bool.
 * @example
 * const g = new Graph("max", [new TensorType("f32", [2, 2])]);
 * g.output(ops.max(g.inputs[0], 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 2], [1, 7, 3, -1])]);
 * assert.deepEqual(r.toArray(), [3, 7]);
 */
export function max(x: Value, axes?: number | readonly number[], keepdims = false): Value {
  return x.graph.add("reduce_max", [x], { axes: allAxes(x, axes), keepdims });
}

/** Same as {@link sum} under its IR name. */
export const reduce_sum = sum;
/** Same as {@link mean} under its IR name. */
export const reduce_mean = mean;
/** Same as {@link max} under its IR name. */
export const reduce_max = max;

/**
 * Index of the largest value along `axis` as an **i32** tensor (PyTorch returns i64; i32 is
 * enough for any axis a graph holds and is what the kernels write). The first index wins ties;
 * a NaN counts as the largest value. Shapes: [2, 5] with axis -1 → [2] (keepdims: [2, 1]).
 * Throws ShapeError for a bad or empty axis, DTypeError for bool input.
 * @example
 * const g = new Graph("am", [new TensorType("f32", [2, 3])]);
 * g.output(ops.argmax(g.inputs[0]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2, 3], [1, 9, 9, 4, 0, 2])]);
 * assert.deepEqual(r.toArray(), [1, 0]);
 * assert.equal(r.dtype, "i32");
 */
export function argmax(x: Value, axis = -1, keepdims = false): Value {
  return x.graph.add("argmax", [x], { axis, keepdims });
}

// ---- normalisation ---------------------------------------------------------------------------

/**
 * Layer normalisation over the last axis: (x - mean) / sqrt(var + epsilon) · gamma + beta, with
 * the biased variance (as torch.nn.LayerNorm). Shapes: x [..., D], gamma and beta [D]; the result
 * has x's shape. Dtypes: one float dtype for all three. Throws ShapeError when gamma/beta do not
 * match D, DTypeError on mixed or non-float dtypes.
 * @example
 * const g = new Graph("ln", [new TensorType("f32", [1, 2])]);
 * const one = ops.constant(Tensor.fromArray("f32", [2], [1, 1]), g);
 * const zero = ops.constant(Tensor.fromArray("f32", [2], [0, 0]), g);
 * g.output(ops.layer_norm(g.inputs[0], one, zero, 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [1, 2], [1, 3])]);
 * assert.deepEqual(r.toArray(), [-1, 1]);
 */
export function layer_norm(x: Value, gamma: Value, beta: Value, epsilon = 1e-5): Value {
  return x.graph.add("layer_norm", [x, gamma, beta], { epsilon });
}

/**
 * RMS normalisation over the last axis: x / sqrt(mean(x²) + epsilon) · gamma. Shapes: x [..., D],
 * gamma [D]. Dtypes: one float dtype. Throws as {@link layer_norm}.
 * @example
 * const g = new Graph("rms", [new TensorType("f32", [1, 2])]);
 * g.output(ops.rms_norm(g.inputs[0], ops.constant(Tensor.fromArray("f32", [2], [1, 2]), g), 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [1, 2], [3, 4])]);
 * assert.deepEqual(r.toArray().map((v) => +v.toFixed(5)), [0.84853, 2.26274]);
 */
export function rms_norm(x: Value, gamma: Value, epsilon = 1e-6): Value {
  return x.graph.add("rms_norm", [x, gamma], { epsilon });
}

// ---- indexing and data movement --------------------------------------------------------------

/**
 * Take slices of `input` along `axis` at the positions in `indices` (i32 or i64, any rank;
 * negative indices count from the end). Output shape:
 * input.shape[:axis] + indices.shape + input.shape[axis+1:]. An out-of-range index fails when
 * the graph runs, naming the index and the axis size. Throws DTypeError for non-integer indices.
 * @example
 * const g = new Graph("emb", [new TensorType("f32", [3, 2]), new TensorType("i32", [4])]);
 * g.output(ops.gather(g.inputs[0], g.inputs[1], 0));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [3, 2], [0, 1, 10, 11, 20, 21]), Tensor.fromArray("i32", [4], [2, 0, -1, 1])]);
 * assert.deepEqual(r.toArray(), [20, 21, 0, 1, 20, 21, 10, 11]);
 */
export function gather(input: Value, indices: Value, axis = 0): Value {
  return input.graph.add("gather", [input, indices], { axis });
}

/**
 * Reorder axes: output axis i is input axis `dims[i]` (negative axes count from the end).
 * Throws ShapeError unless `dims` names each axis exactly once.
 * @example
 * const g = new Graph("p", [new TensorType("f32", ["batch", "seq", 6, 64])]);
 * assert.equal(String(ops.permute(g.inputs[0], [0, 2, 1, 3]).type), "f32[batch, 6, seq, 64]");
 */
export function permute(x: Value, dims: readonly number[]): Value {
  return x.graph.add("permute", [x], { dims: [...dims] });
}

/**
 * Swap two axes (a {@link permute} that exchanges `axis1` and `axis2`).
 * @example
 * const g = new Graph("t", [new TensorType("f32", [2, 3, 4])]);
 * assert.equal(String(ops.transpose(g.inputs[0], -1, -2).type), "f32[2, 4, 3]");
 */
export function transpose(x: Value, axis1: number, axis2: number): Value {
  const r = x.rank;
  const norm = (a: number) => {
    if (!Number.isInteger(a) || a < -r || a >= r) throw dslError(ShapeError, "transpose", `axis ${a} out of range for rank ${r}`, [x]);
    return a < 0 ? a + r : a;
  };
  const a = norm(axis1), b = norm(axis2);
  const dims = Array.from({ length: r }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, dims);
}

/**
 * The same elements in row-major order under a new shape. One entry may be -1 (inferred from the
 * element count); entries may be symbolic ("batch", "seq"). Throws ShapeError when the element
 * counts differ or the -1 cannot be inferred exactly.
 * @example
 * const g = new Graph("r", [new TensorType("f32", ["batch", "seq", 384])]);
 * assert.equal(String(ops.reshape(g.inputs[0], ["batch", -1, 6, 64]).type), "f32[batch, seq, 6, 64]");
 * assert.equal(String(ops.reshape(g.inputs[0], [-1, 384]).type), "f32[batch*seq, 384]");
 */
export function reshape(x: Value, shape: readonly Dim[]): Value {
  return x.graph.add("reshape", [x], { shape: [...shape] });
}

/**
 * Insert a size-1 axis at `axis` (a {@link reshape}); `axis` may be -1 for "after the last".
 * @example
 * const g = new Graph("u", [new TensorType("f32", ["seq", 4])]);
 * assert.equal(String(ops.unsqueeze(g.inputs[0], 0).type), "f32[1, seq, 4]");
 */
export function unsqueeze(x: Value, axis: number): Value {
  const r = x.rank + 1;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) throw dslError(ShapeError, "unsqueeze", `axis ${axis} out of range for rank ${r}`, [x]);
  const a = axis < 0 ? axis + r : axis;
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/**
 * Remove the size-1 axis `axis` (a {@link reshape}). Throws ShapeError when that axis is not 1.
 * @example
 * const g = new Graph("q", [new TensorType("f32", [2, 1, 4])]);
 * assert.equal(String(ops.squeeze(g.inputs[0], 1).type), "f32[2, 4]");
 */
export function squeeze(x: Value, axis: number): Value {
  const r = x.rank;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) throw dslError(ShapeError, "squeeze", `axis ${axis} out of range for rank ${r}`, [x]);
  const a = axis < 0 ? axis + r : axis;
  if (x.shape[a] !== 1) throw dslError(ShapeError, "squeeze", `axis ${axis} must have size 1, got ${x.shape[a]}`, [x]);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** A slice bound: an index (negative counts from the end), a symbolic dim, or null (open end). */
export type SliceBound = number | string | null;

/**
 * `x[start:end:step]` on `axes` (default: the first `starts.length` axes), with Python/NumPy
 * semantics on static dims: negative indices count from the end, bounds are clamped, steps may be
 * negative (`null` bounds mean "from the first / to the last" in the step's direction). Bounds may
 * be symbolic dims ("past", "past+seq"); on symbolic dims or with symbolic bounds nothing can be
 * clamped, so bounds must be in range when the graph runs (else the interpreter reports it).
 * Throws ShapeError for mismatched list lengths, a zero step, bad axes, or a symbolic length that
 * a step does not divide.
 * @example
 * const g = new Graph("s", [new TensorType("f32", [5])]);
 * g.output(ops.slice(g.inputs[0], [-1], [null], [0], [-2]));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [5], [0, 1, 2, 3, 4])]);
 * assert.deepEqual(r.toArray(), [4, 2, 0]);
 * const h = new Graph("pos", [new TensorType("f32", [448, 8]), new TensorType("f32", ["past", 8]), new TensorType("f32", ["seq", 8])]);
 * assert.equal(String(ops.slice(h.inputs[0], ["past"], ["past+seq"], [0]).type), "f32[seq, 8]");
 */
export function slice(x: Value, starts: readonly SliceBound[], ends: readonly SliceBound[], axes?: readonly number[], steps?: readonly number[]): Value {
  return x.graph.add("slice", [x], {
    starts: [...starts], ends: [...ends],
    ...(axes ? { axes: [...axes] } : {}), ...(steps ? { steps: [...steps] } : {}),
  });
}

/**
 * Join values along `axis`; all other dims must match and dtypes must agree. Symbolic lengths
 * add up: concat of ["past", 64] and [1, 64] on axis 0 is ["past+1", 64]. Throws ShapeError for
 * mismatched ranks or dims, DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("c", [new TensorType("f32", [1, "past", 64]), new TensorType("f32", [1, 1, 64])]);
 * assert.equal(String(ops.concat(g.inputs, 1).type), "f32[1, past+1, 64]");
 */
export function concat(values: readonly Value[], axis = 0): Value {
  if (values.length === 0) throw new ShapeError(`[concat] needs at least one value`);
  return graphOf("concat", values).add("concat", values, { axis });
}

/**
 * Split `x` along `axis` into pieces of the given sizes (symbolic allowed), returned as slices.
 * Throws ShapeError when the sizes do not add up to the axis length.
 * @example
 * const g = new Graph("sp", [new TensorType("f32", [2, 6])]);
 * const [a, b] = ops.split(g.inputs[0], [2, 4], 1);
 * assert.deepEqual([String(a.type), String(b.type)], ["f32[2, 2]", "f32[2, 4]"]);
 */
export function split(x: Value, sizes: readonly Dim[], axis = 0): Value[] {
  const r = x.rank;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) throw dslError(ShapeError, "split", `axis ${axis} out of range for rank ${r}`, [x]);
  const a = axis < 0 ? axis + r : axis;
  const total = sizes.reduce<Dim>((acc, s) => dimAdd(acc, s), 0);
  if (!dimEq(total, x.shape[a]!))
    throw dslError(ShapeError, "split", `sizes ${shapeToString(sizes)} add up to ${total}, expected ${x.shape[a]} (axis ${axis})`, [x]);
  let off: Dim = 0;
  return sizes.map((s) => {
    const end = dimAdd(off, s);
    const piece = slice(x, [off], [end], [a]);
    off = end;
    return piece;
  });
}

/**
 * Pad with a constant: `pads[i] = [before, after]` elements of `value` around axis i (one pair
 * per axis). Throws ShapeError when the pair count differs from the rank.
 * @example
 * const g = new Graph("pad", [new TensorType("f32", [2])]);
 * g.output(ops.pad(g.inputs[0], [[1, 2]], 9));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [2], [1, 2])]);
 * assert.deepEqual(r.toArray(), [9, 1, 2, 9, 9]);
 */
export function pad(x: Value, pads: readonly (readonly [number, number])[], value = 0): Value {
  return x.graph.add("pad", [x], { pads: pads.map((p) => [p[0], p[1]]), value });
}

/**
 * Broadcast to exactly `shape` by NumPy rules (size-1 or missing leading axes repeat).
 * Throws ShapeError when x cannot broadcast to `shape`.
 * @example
 * const g = new Graph("b", [new TensorType("f32", [1, 3])]);
 * assert.equal(String(ops.broadcast_to(g.inputs[0], ["seq", 3]).type), "f32[seq, 3]");
 */
export function broadcast_to(x: Value, shape: readonly Dim[]): Value {
  return x.graph.add("broadcast_to", [x], { shape: [...shape] });
}

// ---- generators ------------------------------------------------------------------------------

/**
 * A tensor of `shape` (dims may be symbolic) whose values are their index along `axis`.
 * It has no operands, so it joins `graph` when given, else the current graph.
 * Dtypes: any numeric (default i32). Throws ShapeError for a bad axis, DTypeError for bool.
 * @example
 * const g = new Graph("iota");
 * g.output(ops.iota([2, 3], 1, "i32", g));
 * const [r] = interpret(g, []);
 * assert.deepEqual(r.toArray(), [0, 1, 2, 0, 1, 2]);
 */
export function iota(shape: readonly Dim[], axis: number, dtype: DType = "i32", graph?: Graph): Value {
  return (graph ?? currentGraph()).add("iota", [], { shape: [...shape], axis, dtype });
}

/**
 * An additive causal mask [q_len, k_len]: 0 where key j may be seen by query i, that is
 * j <= i + (k_len - q_len) (queries are the last q_len positions, as in a decoder step over a
 * kv-cache), and -inf elsewhere. Dims may be symbolic. Built from iota, slice, compare and
 * where, so backends fuse it into one elementwise kernel. When k_len < q_len the first rows are
 * fully masked (their softmax is NaN).
 * @example
 * const g = new Graph("mask");
 * g.output(ops.causal_mask(2, 3, "f32", g));
 * const [r] = interpret(g, []);
 * assert.deepEqual(r.toArray(), [0, 0, -Infinity, 0, 0, 0]);
 */
export function causal_mask(q_len: Dim, k_len: Dim, dtype: DType = "f32", graph?: Graph): Value {
  const g = graph ?? currentGraph();
  // Compare distances from the end, (k_len-1-j) >= (q_len-1-i): equivalent to the rule above and
  // needs no runtime value of k_len - q_len. Reversed iotas give those distances.
  const qFromEnd = slice(iota([q_len, 1], 0, "i32", g), [null], [null], [0], [-1]);
  const kFromEnd = slice(iota([1, k_len], 1, "i32", g), [null], [null], [1], [-1]);
  const visible = greater_equal(kFromEnd, qFromEnd);
  return g.add("where", [visible, g.constant(Tensor.scalar(dtype, 0)), g.constant(Tensor.scalar(dtype, -Infinity))]);
}

// ---- convolution and attention ---------------------------------------------------------------

export interface Conv1dOptions {
  stride?: number;
  /** Zero padding on both ends, or [left, right]. */
  padding?: number | readonly [number, number];
  dilation?: number;
  groups?: number;
}

/**
 * 1-D convolution (cross-correlation, as torch.nn.functional.conv1d). Shapes: x [N, C_in, L],
 * weight [C_out, C_in/groups, K], bias [C_out] → [N, C_out, L_out] with
 * L_out = floor((L + pad_left + pad_right - dilation·(K-1) - 1) / stride) + 1; N and L may be
 * symbolic. Dtypes: one float dtype. Throws ShapeError for mismatched channels, groups that do
 * not divide them, a bad bias or a too-short input; DTypeError for mixed or non-float dtypes.
 * @example
 * const g = new Graph("conv", [new TensorType("f32", [1, 1, 4]), new TensorType("f32", [1, 1, 2])]);
 * g.output(ops.conv1d(g.inputs[0], g.inputs[1], undefined, { stride: 2 }));
 * const [r] = interpret(g, [Tensor.fromArray("f32", [1, 1, 4], [1, 2, 3, 4]), Tensor.fromArray("f32", [1, 1, 2], [1, -1])]);
 * assert.deepEqual(r.toArray(), [-1, -1]);
 */
export function conv1d(x: Value, weight: Value, bias?: Value, opts: Conv1dOptions = {}): Value {
  const attrs: Record<string, unknown> = { ...opts };
  if (Array.isArray(opts.padding)) attrs.padding = [opts.padding[0], opts.padding[1]];
  return x.graph.add("conv1d", bias ? [x, weight, bias] : [x, weight], attrs);
}

export interface AttentionOptions {
  /** Added to the scores: an additive float mask, or a bool mask (true = may attend). Broadcasts to [..., Lq, Lk]. */
  mask?: Value;
  /** Multiplies q·kᵀ; default 1/sqrt(D) (D must then be static). */
  scale?: number;
  /** Also apply {@link causal_mask}(Lq, Lk). */
  causal?: boolean;
}

/**
 * softmax(q·kᵀ · scale + mask) · v, composed from matmul, transpose, mul, add and softmax.
 * Shapes: q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] (leading axes broadcast) →
 * [..., Lq, Dv]. Dtypes: one float dtype. Throws ShapeError when D or Lk disagree, or when D is
 * symbolic and no scale is given; DTypeError for mixed dtypes.
 * @example
 * const g = new Graph("attn", [new TensorType("f32", [2, "seq", 8]), new TensorType("f32", [2, "seq", 8]), new TensorType("f32", [2, "seq", 4])]);
 * const [q, k, v] = g.inputs;
 * assert.equal(String(ops.scaled_dot_product_attention(q, k, v, { causal: true }).type), "f32[2, seq, 4]");
 */
export function scaled_dot_product_attention(q: Value, k: Value, v: Value, opts: AttentionOptions = {}): Value {
  const op = "scaled_dot_product_attention";
  const all = [q, k, v, ...(opts.mask ? [opts.mask] : [])];
  if (q.rank < 2 || k.rank < 2 || v.rank < 2) throw dslError(ShapeError, op, `q, k and v must have rank >= 2`, all);
  if (q.dtype !== k.dtype || q.dtype !== v.dtype) throw dslError(DTypeError, op, `q, k and v dtypes differ: ${q.dtype}, ${k.dtype}, ${v.dtype}`, all);
  const d = q.shape[q.rank - 1]!, lq = q.shape[q.rank - 2]!, lk = k.shape[k.rank - 2]!;
  if (!dimEq(d, k.shape[k.rank - 1]!)) throw dslError(ShapeError, op, `q and k differ in the feature dim: ${d} vs ${k.shape[k.rank - 1]}`, all);
  if (!dimEq(lk, v.shape[v.rank - 2]!)) throw dslError(ShapeError, op, `k and v differ in length: ${lk} vs ${v.shape[v.rank - 2]}`, all);
  const mask = opts.mask;
  if (mask) {
    if (mask.dtype !== "bool" && mask.dtype !== q.dtype)
      throw dslError(DTypeError, op, `mask must be bool or ${q.dtype} like q, got ${mask.dtype}`, all);
    const scores = [...q.shape.slice(0, -1), lk];
    try {
      broadcastShapes(op, [scores, mask.shape]);
    } catch {
      throw dslError(ShapeError, op, `mask ${shapeToString(mask.shape)} does not broadcast to the scores ${shapeToString(scores)}`, all);
    }
  }
  let scale = opts.scale;
  if (scale === undefined) {
    if (typeof d !== "number") throw dslError(ShapeError, op, `the feature dim ${d} is symbolic: pass { scale }`, all);
    scale = 1 / Math.sqrt(d);
  }
  // The scale goes on the scores (as in PyTorch's math path): the backends' attention matcher
  // looks for softmax(scale·(q·kᵀ) + masks)·v.
  let s = mul(matmul(q, transpose(k, -1, -2)), scale);
  if (mask) {
    const g = q.graph;
    const m = mask.dtype !== "bool" ? mask
      : g.add("where", [mask, g.constant(Tensor.scalar(q.dtype, 0)), g.constant(Tensor.scalar(q.dtype, -Infinity))]);
    s = add(s, m);
  }
  if (opts.causal) s = add(s, causal_mask(lq, lk, q.dtype, q.graph));
  return matmul(softmax(s, -1), v);
}
