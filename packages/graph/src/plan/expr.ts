// Scalar expressions: the body of fused kernels. Backend-neutral; the C-family printer
// (plan/c-printer.ts) turns them into C++ or CUDA C. Also owns the small tree utilities the
// fusion pass needs (argument remapping, substitution, structural keys).

import type { DType } from "../dtype.js";
import type { Dim } from "../dim.js";

export type UnaryOp =
  | "neg" | "abs" | "exp" | "log" | "sqrt" | "rsqrt" | "tanh" | "erf" | "sin" | "cos"
  | "sigmoid" | "relu" | "silu" | "gelu" | "gelu_tanh" | "not" | "floor" | "ceil" | "recip";
export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "max" | "min"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or" | "mod";

export type Expr =
  | { readonly k: "const"; readonly v: number; readonly dtype: DType }
  /** Operand `arg` of the kernel, read at the current index (broadcasting handled by its view). */
  | { readonly k: "arg"; readonly arg: number; readonly dtype: DType }
  /** The current index along output axis `axis` (for iota, masks). */
  | { readonly k: "index"; readonly axis: number }
  | { readonly k: "unary"; readonly op: UnaryOp; readonly a: Expr; readonly dtype: DType }
  | { readonly k: "binary"; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr; readonly dtype: DType }
  | { readonly k: "select"; readonly c: Expr; readonly a: Expr; readonly b: Expr; readonly dtype: DType }
  | { readonly k: "cast"; readonly a: Expr; readonly dtype: DType }
  /** A named scalar of the enclosing kernel: a reduction result ("r0") or the GEMM accumulator ("acc"). */
  | { readonly k: "var"; readonly name: string; readonly dtype: DType }
  /** The run-time value of a (possibly symbolic) dim, e.g. a row length for a mean. */
  | { readonly k: "dim"; readonly dim: Dim; readonly dtype: DType };

export const E = {
  c: (v: number, dtype: DType = "f32"): Expr => ({ k: "const", v, dtype }),
  arg: (arg: number, dtype: DType): Expr => ({ k: "arg", arg, dtype }),
  index: (axis: number): Expr => ({ k: "index", axis }),
  un: (op: UnaryOp, a: Expr, dtype: DType): Expr => ({ k: "unary", op, a, dtype }),
  bin: (op: BinaryOp, a: Expr, b: Expr, dtype: DType): Expr => ({ k: "binary", op, a, b, dtype }),
  sel: (c: Expr, a: Expr, b: Expr, dtype: DType): Expr => ({ k: "select", c, a, b, dtype }),
  cast: (a: Expr, dtype: DType): Expr => ({ k: "cast", a, dtype }),
  v: (name: string, dtype: DType = "f32"): Expr => ({ k: "var", name, dtype }),
  dim: (dim: Dim, dtype: DType = "f32"): Expr => ({ k: "dim", dim, dtype }),
};

/** The dtype an expression evaluates to ("index" is an i64 position). */
export function exprDType(e: Expr): DType {
  return e.k === "index" ? "i64" : e.dtype;
}

/** Rebuild an expression bottom-up; `f` may replace any node (children are mapped first). */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  switch (e.k) {
    case "unary": return f({ ...e, a: mapExpr(e.a, f) });
    case "cast": return f({ ...e, a: mapExpr(e.a, f) });
    case "binary": return f({ ...e, a: mapExpr(e.a, f), b: mapExpr(e.b, f) });
    case "select": return f({ ...e, c: mapExpr(e.c, f), a: mapExpr(e.a, f), b: mapExpr(e.b, f) });
    default: return f(e);
  }
}

/** Visit every node of an expression once per occurrence. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  switch (e.k) {
    case "unary": case "cast": walkExpr(e.a, f); break;
    case "binary": walkExpr(e.a, f); walkExpr(e.b, f); break;
    case "select": walkExpr(e.c, f); walkExpr(e.a, f); walkExpr(e.b, f); break;
    default: break;
  }
}

/** Replace each `arg i` by `args[i]` (an expression in the caller's argument space). */
export function substArgs(e: Expr, args: readonly Expr[]): Expr {
  return mapExpr(e, (x) => (x.k === "arg" ? args[x.arg]! : x));
}

/** Replace named vars by expressions (vars without a replacement stay). */
export function substVars(e: Expr, vars: Readonly<Record<string, Expr>>): Expr {
  return mapExpr(e, (x) => (x.k === "var" && vars[x.name] ? vars[x.name]! : x));
}

export function exprUses(e: Expr, pred: (e: Expr) => boolean): boolean {
  let hit = false;
  walkExpr(e, (x) => { if (pred(x)) hit = true; });
  return hit;
}

/** Number of operation nodes (a rough cost: recomputing a cheap expression beats a store). */
export function exprCost(e: Expr): number {
  let n = 0;
  walkExpr(e, (x) => {
    if (x.k === "unary") n += ["exp", "log", "tanh", "erf", "sin", "cos", "sigmoid", "silu", "gelu", "gelu_tanh", "pow"].includes(x.op) ? 8 : 1;
    else if (x.k === "binary" || x.k === "select" || x.k === "cast") n += 1;
  });
  return n;
}

/** A structural key: equal keys mean equal expressions (used for common-subexpression reuse). */
export function exprKey(e: Expr): string {
  switch (e.k) {
    case "const": return `${e.dtype}:${Object.is(e.v, -0) ? "-0" : String(e.v)}`;
    case "arg": return `a${e.arg}`;
    case "index": return `i${e.axis}`;
    case "var": return `v:${e.name}`;
    case "dim": return `d:${e.dim}:${e.dtype}`;
    case "unary": return `${e.op}:${e.dtype}(${exprKey(e.a)})`;
    case "cast": return `cast:${e.dtype}(${exprKey(e.a)})`;
    case "binary": return `${e.op}:${e.dtype}(${exprKey(e.a)},${exprKey(e.b)})`;
    case "select": return `sel:${e.dtype}(${exprKey(e.c)},${exprKey(e.a)},${exprKey(e.b)})`;
  }
}

/** Readable infix text for printPlan. */
export function exprToString(e: Expr, names: (arg: number) => string = (i) => `$${i}`): string {
  const r = (x: Expr) => exprToString(x, names);
  const INFIX: Partial<Record<BinaryOp, string>> = {
    add: "+", sub: "-", mul: "*", div: "/", mod: "%", eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=", and: "&&", or: "||",
  };
  switch (e.k) {
    case "const": return String(e.v);
    case "arg": return names(e.arg);
    case "index": return `idx${e.axis}`;
    case "var": return e.name;
    case "dim": return `dim(${e.dim})`;
    case "unary": return e.op === "neg" ? `-${r(e.a)}` : `${e.op}(${r(e.a)})`;
    case "cast": return `${e.dtype}(${r(e.a)})`;
    case "binary": return INFIX[e.op] ? `(${r(e.a)} ${INFIX[e.op]} ${r(e.b)})` : `${e.op}(${r(e.a)}, ${r(e.b)})`;
    case "select": return `(${r(e.c)} ? ${r(e.a)} : ${r(e.b)})`;
  }
}
