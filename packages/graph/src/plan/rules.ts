// How each reduction-class op becomes a row kernel: which axes it reduces, the reductions
// (one pass over the row each) and the output expression. Keyed by op name so a new
// reduction op adds one entry here; ops without an entry are reported as unsupported.

import { type Dim, dimProduct } from "../dim.js";
import type { DType } from "../dtype.js";
import type { Node } from "../ir/graph.js";
import { normAxes, normAxis } from "../ops/util.js";
import { E, type Expr } from "./expr.js";
import type { Reduction } from "./ir.js";

export interface RowLowering {
  /** Reduced axes of operand 0 (normalised, ascending). */
  readonly axes: number[];
  /** True when the output has one value per row (reduce_*), false when per element. */
  readonly perRow: boolean;
  /** keepdims for per-row outputs. */
  readonly keepdims: boolean;
  readonly reductions: Reduction[];
  /** The output value; per-element outputs may read the operands (`arg i`). */
  readonly out: Expr;
}

/**
 * From the node and operand 0's shape; `arg i` in the result is operand i read at the current
 * point (operands broadcast to operand 0's shape).
 */
type Rule = (node: Node, shape: readonly Dim[]) => RowLowering;

const rowLen = (shape: readonly Dim[], axes: readonly number[]): Dim => dimProduct(axes.map((a) => shape[a]!));

const F = "f32" as const;
const x0 = (dt: DType) => E.arg(0, dt);
const sub = (a: Expr, b: Expr) => E.bin("sub", a, b, F);
const mul = (a: Expr, b: Expr) => E.bin("mul", a, b, F);
const div = (a: Expr, b: Expr) => E.bin("div", a, b, F);

function lastAxis(node: Node, rank: number): number[] {
  return [normAxis(node.op, (node.attrs.axis as number | undefined) ?? -1, rank)];
}

function softmaxRule(log: boolean): Rule {
  return (node, shape) => {
    const dt = node.type.dtype;
    const x = x0(dt);
    const rank = shape.length;
    const shifted = sub(x, E.v("r0"));
    return {
      axes: lastAxis(node, rank), perRow: false, keepdims: true,
      reductions: [
        { name: "r0", op: "max", expr: x },
        { name: "r1", op: "sum", expr: E.un("exp", shifted, F) },
      ],
      // exp · (1/sum): the reciprocal is row-invariant (hoisted out of the row loop), where a
      // divide per element costs a vector divide each.
      out: log ? sub(shifted, E.un("log", E.v("r1"), F)) : E.bin("mul", E.un("exp", shifted, F), E.un("recip", E.v("r1"), F), F),
    };
  };
}

function reduceRule(kind: "sum" | "mean" | "max"): Rule {
  return (node, shape) => {
    const dt = node.type.dtype;
    const axes = [...normAxes(node.op, node.attrs.axes as number[], shape.length)].sort((a, b) => a - b);
    const len = rowLen(shape, axes);
    const acc: DType = dt === "i32" || dt === "i64" ? "i64" : F;
    const x = acc === F ? x0(dt) : E.cast(x0(dt), acc);
    const r0 = E.v("r0", acc);
    return {
      axes,
      perRow: true, keepdims: Boolean(node.attrs.keepdims),
      reductions: [{ name: "r0", op: kind === "max" ? "max" : "sum", expr: x }],
      out: kind === "mean" ? div(r0, E.dim(len, F)) : r0,
    };
  };
}

export const ROW_RULES: Readonly<Record<string, Rule>> = {
  softmax: softmaxRule(false),
  log_softmax: softmaxRule(true),
  reduce_sum: reduceRule("sum"),
  reduce_mean: reduceRule("mean"),
  reduce_max: reduceRule("max"),
  layer_norm: (node, shape) => {
    const rank = shape.length, len = shape[rank - 1]!;
    const dt = node.type.dtype;
    const x = x0(dt), n = E.dim(len, F);
    const centred = sub(x, div(E.v("r0"), n));
    const inv = E.un("rsqrt", E.bin("add", div(E.v("r1"), n), E.c(node.attrs.epsilon as number, F), F), F);
    return {
      axes: [rank - 1], perRow: false, keepdims: true,
      // Two passes (mean, then centred squares), as the reference: no cancellation in the variance.
      reductions: [
        { name: "r0", op: "sum", expr: x },
        { name: "r1", op: "sum", expr: mul(centred, centred) },
      ],
      out: E.bin("add", mul(mul(centred, inv), E.arg(1, dt)), E.arg(2, dt), F),
    };
  },
  rms_norm: (node, shape) => {
    const rank = shape.length, len = shape[rank - 1]!;
    const dt = node.type.dtype;
    const x = x0(dt);
    const inv = E.un("rsqrt", E.bin("add", div(E.v("r0"), E.dim(len, F)), E.c(node.attrs.epsilon as number, F), F), F);
    return {
      axes: [rank - 1], perRow: false, keepdims: true,
      reductions: [{ name: "r0", op: "sum", expr: mul(x, x) }],
      out: mul(mul(x, inv), E.arg(1, dt)),
    };
  },
};
