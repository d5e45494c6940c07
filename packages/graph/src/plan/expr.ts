// Scalar expressions: the body of fused kernels. Backend-neutral; the C-family printer
// (plan/c-printer.ts) turns them into C++ or CUDA C.

import type { DType } from "../dtype.js";

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
  | { readonly k: "cast"; readonly a: Expr; readonly dtype: DType };

export const E = {
  c: (v: number, dtype: DType = "f32"): Expr => ({ k: "const", v, dtype }),
  arg: (arg: number, dtype: DType): Expr => ({ k: "arg", arg, dtype }),
  index: (axis: number): Expr => ({ k: "index", axis }),
  un: (op: UnaryOp, a: Expr, dtype: DType): Expr => ({ k: "unary", op, a, dtype }),
  bin: (op: BinaryOp, a: Expr, b: Expr, dtype: DType): Expr => ({ k: "binary", op, a, b, dtype }),
  sel: (c: Expr, a: Expr, b: Expr, dtype: DType): Expr => ({ k: "select", c, a, b, dtype }),
  cast: (a: Expr, dtype: DType): Expr => ({ k: "cast", a, dtype }),
};
