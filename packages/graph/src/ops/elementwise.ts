// Elementwise ops (unary, binary with NumPy broadcasting, comparisons, where, cast): one
// factory per arity so each entry is a line of semantics, an expression and an ONNX mapping.

import { z } from "zod";
import { type DType, isDType } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { TensorType } from "../tensor-type.js";
import { E, type BinaryOp, type UnaryOp } from "../plan/expr.js";
import type { OnnxEmitter } from "../onnx/emitter.js";
import type { OpDef } from "./types.js";
import { broadcastIndex, broadcastShapes, noAttrs, nd, requireFloat, sameDType, sizeOf } from "./util.js";
import { erf, geluExact, geluTanh, sigmoid } from "./math.js";

type NoAttrs = z.infer<typeof noAttrs>;

function unary(
  name: string, summary: string, f: (x: number) => number, op: UnaryOp,
  onnx: (ctx: OnnxEmitter, x: string) => string, opts: { float?: boolean } = {},
): OpDef<NoAttrs> {
  return {
    name, summary, signature: `${name}(x)`, arity: 1, attrs: noAttrs, fusion: "elementwise",
    infer([x]) {
      if (opts.float !== false) requireFloat(name, x!);
      else if (x!.dtype === "bool") throw new DTypeError(`[${name}] input must be numeric, got bool`);
      return x!;
    },
    reference([x], _a, out) {
      const r = new Float64Array(x!.data.length);
      for (let i = 0; i < r.length; i++) r[i] = f(x!.data[i]!);
      return nd(out.dtype, out.shape, r);
    },
    onnx: (ctx, [x]) => onnx(ctx, x!),
    expr: ([a], _attrs, t) => E.un(op, a!, t.output.dtype),
  };
}

const simple = (type: string) => (ctx: OnnxEmitter, x: string) => ctx.node(type, [x]);

export const neg = unary("neg", "Negation, -x.", (x) => -x, "neg", simple("Neg"), { float: false });
export const abs = unary("abs", "Absolute value.", Math.abs, "abs", simple("Abs"), { float: false });
export const exp = unary("exp", "e^x.", Math.exp, "exp", simple("Exp"));
export const log = unary("log", "Natural logarithm.", Math.log, "log", simple("Log"));
export const sqrt = unary("sqrt", "Square root.", Math.sqrt, "sqrt", simple("Sqrt"));
export const rsqrt = unary("rsqrt", "1/sqrt(x).", (x) => 1 / Math.sqrt(x), "rsqrt", (c, x) => c.node("Reciprocal", [c.node("Sqrt", [x])]));
export const tanh = unary("tanh", "Hyperbolic tangent.", Math.tanh, "tanh", simple("Tanh"));
export const erfOp = unary("erf", "Gauss error function.", erf, "erf", simple("Erf"));
export const sin = unary("sin", "Sine.", Math.sin, "sin", simple("Sin"));
export const cos = unary("cos", "Cosine.", Math.cos, "cos", simple("Cos"));
export const sigmoidOp = unary("sigmoid", "Logistic sigmoid 1/(1+e^-x).", sigmoid, "sigmoid", simple("Sigmoid"));
export const relu = unary("relu", "max(x, 0).", (x) => (x > 0 ? x : 0), "relu", simple("Relu"));
export const silu = unary("silu", "x·sigmoid(x) (swish).", (x) => x * sigmoid(x), "silu", (c, x) => c.node("Mul", [x, c.node("Sigmoid", [x])]));

const geluAttrs = z.object({ approximate: z.enum(["none", "tanh"]).default("none") }).strict();
export const gelu: OpDef<z.infer<typeof geluAttrs>> = {
  name: "gelu",
  summary: "Gaussian error linear unit: exact x·Φ(x) (`approximate: \"none\"`) or the tanh form.",
  signature: "gelu(x, approximate = \"none\")",
  arity: 1, attrs: geluAttrs, fusion: "elementwise",
  infer([x]) {
    requireFloat("gelu", x!);
    return x!;
  },
  reference([x], a, out) {
    const f = a.approximate === "tanh" ? geluTanh : geluExact;
    const r = new Float64Array(x!.data.length);
    for (let i = 0; i < r.length; i++) r[i] = f(x!.data[i]!);
    return nd(out.dtype, out.shape, r);
  },
  onnx(c, [x], a, t) {
    const dt = t.output.dtype;
    const half = c.scalar(dt, 0.5), one = c.scalar(dt, 1);
    let inner: string;
    if (a.approximate === "tanh") {
      const x3 = c.node("Mul", [x!, c.node("Mul", [x!, x!])]);
      const poly = c.node("Add", [x!, c.node("Mul", [x3, c.scalar(dt, 0.044715)])]);
      inner = c.node("Tanh", [c.node("Mul", [poly, c.scalar(dt, Math.sqrt(2 / Math.PI))])]);
    } else inner = c.node("Erf", [c.node("Mul", [x!, c.scalar(dt, Math.SQRT1_2)])]);
    return c.node("Mul", [c.node("Mul", [x!, half]), c.node("Add", [inner, one])]);
  },
  expr: ([x], a, t) => E.un(a.approximate === "tanh" ? "gelu_tanh" : "gelu", x!, t.output.dtype),
};

function binary(
  name: string, summary: string, f: (a: number, b: number) => number, op: BinaryOp, onnxType: string,
  result: "same" | "bool" = "same",
): OpDef<NoAttrs> {
  return {
    name, summary, signature: `${name}(a, b)`, arity: 2, attrs: noAttrs, fusion: "elementwise",
    infer(ts) {
      const dt = sameDType(name, ts);
      if (result === "same" && dt === "bool" && !["maximum", "minimum", "mul"].includes(name))
        throw new DTypeError(`[${name}] operands must be numeric, got bool`);
      return new TensorType(result === "bool" ? "bool" : dt, broadcastShapes(name, ts.map((t) => t.shape)));
    },
    reference([a, b], _attrs, out) {
      const n = sizeOf(out.shape);
      const r = new Float64Array(n);
      const da = a!.data, db = b!.data;
      // Operands that only repeat over leading axes (same shape, a scalar, a bias row) are read
      // with i % length: no index map, which for attention scores would be tens of MB.
      if (repeatsOverLeading(out.shape, a!.shape) && repeatsOverLeading(out.shape, b!.shape)) {
        const la = da.length, lb = db.length;
        if (la === n && lb === n) for (let i = 0; i < n; i++) r[i] = f(da[i]!, db[i]!);
        else if (la === n && lb === 1) for (let i = 0, bv = db[0]!; i < n; i++) r[i] = f(da[i]!, bv);
        else for (let i = 0; i < n; i++) r[i] = f(da[i % la]!, db[i % lb]!);
        return nd(out.dtype, out.shape, r);
      }
      const ia = broadcastIndex(out.shape, a!.shape), ib = broadcastIndex(out.shape, b!.shape);
      for (let i = 0; i < n; i++) r[i] = f(da[ia ? ia[i]! : i]!, db[ib ? ib[i]! : i]!);
      return nd(out.dtype, out.shape, r);
    },
    onnx: (ctx, [a, b]) => ctx.node(onnxType, [a!, b!]),
    expr: ([a, b], _attrs, t) => E.bin(op, a!, b!, t.output.dtype),
  };
}

/** True when `inner`, without leading 1s, equals the trailing dims of `outer`. */
function repeatsOverLeading(outer: readonly number[], inner: readonly number[]): boolean {
  let k = 0;
  while (k < inner.length && inner[k] === 1) k++;
  const tail = inner.length - k;
  if (tail > outer.length) return false;
  for (let i = 0; i < tail; i++) if (inner[k + i] !== outer[outer.length - tail + i]) return false;
  return true;
}

// Integer division truncates like C (the backends' semantics); floats divide exactly.
export const add = binary("add", "a + b with NumPy broadcasting.", (a, b) => a + b, "add", "Add");
export const sub = binary("sub", "a - b with broadcasting.", (a, b) => a - b, "sub", "Sub");
export const mul = binary("mul", "a · b with broadcasting.", (a, b) => a * b, "mul", "Mul");
export const div = binary("div", "a / b with broadcasting (integer division truncates).", (a, b) => a / b, "div", "Div");
export const pow = binary("pow", "a^b with broadcasting.", Math.pow, "pow", "Pow");
export const maximum = binary("maximum", "Elementwise max (NaN propagates).", (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), "max", "Max");
export const minimum = binary("minimum", "Elementwise min (NaN propagates).", (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), "min", "Min");
export const equal = binary("equal", "a == b, bool result.", (a, b) => +(a === b), "eq", "Equal", "bool");
export const greater = binary("greater", "a > b, bool result.", (a, b) => +(a > b), "gt", "Greater", "bool");
export const greater_equal = binary("greater_equal", "a >= b, bool result.", (a, b) => +(a >= b), "ge", "GreaterOrEqual", "bool");
export const less = binary("less", "a < b, bool result.", (a, b) => +(a < b), "lt", "Less", "bool");
export const less_equal = binary("less_equal", "a <= b, bool result.", (a, b) => +(a <= b), "le", "LessOrEqual", "bool");

export const where: OpDef<NoAttrs> = {
  name: "where", summary: "cond ? a : b, all three broadcast together; cond is bool.",
  signature: "where(cond, a, b)", arity: 3, attrs: noAttrs, fusion: "elementwise",
  infer([c, a, b]) {
    if (c!.dtype !== "bool") throw new DTypeError(`[where] condition must be bool, got ${c!.dtype}`);
    const dt = sameDType("where", [a!, b!]);
    return new TensorType(dt, broadcastShapes("where", [c!.shape, a!.shape, b!.shape]));
  },
  reference([c, a, b], _attrs, out) {
    const n = sizeOf(out.shape);
    const ic = broadcastIndex(out.shape, c!.shape), ia = broadcastIndex(out.shape, a!.shape), ib = broadcastIndex(out.shape, b!.shape);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++)
      r[i] = c!.data[ic ? ic[i]! : i] ? a!.data[ia ? ia[i]! : i]! : b!.data[ib ? ib[i]! : i]!;
    return nd(out.dtype, out.shape, r);
  },
  onnx: (ctx, [c, a, b]) => ctx.node("Where", [c!, a!, b!]),
  expr: ([c, a, b], _attrs, t) => E.sel(c!, a!, b!, t.output.dtype),
};

const castAttrs = z.object({ dtype: z.string().refine(isDType, "unknown dtype") }).strict();
const ONNX_DTYPE: Record<DType, number> = { f32: 1, f16: 10, bf16: 16, i32: 6, i64: 7, bool: 9 };
export const cast: OpDef<{ dtype: string }> = {
  name: "cast", summary: "Convert to another dtype (floats to ints truncate toward zero; nonzero to bool is true).",
  signature: "cast(x, dtype)", arity: 1, attrs: castAttrs, fusion: "elementwise",
  infer: ([x], a) => x!.withDType(a.dtype as DType),
  reference: ([x], _a, out) => nd(out.dtype, out.shape, Float64Array.from(x!.data)),
  onnx: (ctx, [x], a) => ctx.node("Cast", [x!], { to: ONNX_DTYPE[a.dtype as DType] }),
  expr: ([x], a) => E.cast(x!, a.dtype as DType),
};
export { ONNX_DTYPE };
