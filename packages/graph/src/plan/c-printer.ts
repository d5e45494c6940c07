// The C-family expression printer shared by the C++ (cpu) and CUDA printers: scalar Exprs to C
// statements with common-subexpression reuse, dtype conversions for loads and stores, and dims
// as int64 arithmetic. A dialect names the few things that differ (math functions, half
// conversions, inline qualifiers).

import type { Dim } from "../dim.js";
import type { DType } from "../dtype.js";
import { GraphError } from "../errors.js";
import { type Expr, exprKey } from "./expr.js";

export interface CDialect {
  /** Qualifier for small helper functions ("static inline", "__device__ __forceinline__"). */
  readonly inline: string;
  /** f32 math functions by neutral name: exp, log, sqrt, tanh, erf, sin, cos, pow, floor, ceil, fabs, fmod. */
  readonly math: Readonly<Record<"exp" | "log" | "sqrt" | "tanh" | "erf" | "sin" | "cos" | "pow" | "floor" | "ceil" | "fabs" | "fmod", string>>;
  /** Conversion helpers: uint16 bits <-> float. */
  readonly h2f: string;
  readonly f2h: string;
  readonly bf2f: string;
  readonly f2bf: string;
}

/** The C++ dialect (the CUDA printer overrides math with its intrinsics and half conversions). */
export const CPP_DIALECT: CDialect = {
  inline: "static inline",
  math: {
    exp: "expf", log: "logf", sqrt: "sqrtf", tanh: "tanhf", erf: "erff", sin: "sinf", cos: "cosf",
    pow: "powf", floor: "floorf", ceil: "ceilf", fabs: "fabsf", fmod: "fmodf",
  },
  h2f: "mw_h2f", f2h: "mw_f2h", bf2f: "mw_bf2f", f2bf: "mw_f2bf",
};

/** The C type that stores one element. */
export function cStorageType(d: DType): string {
  switch (d) {
    case "f32": return "float";
    case "f16": case "bf16": return "uint16_t";
    case "i32": return "int32_t";
    case "i64": return "int64_t";
    case "bool": return "uint8_t";
  }
}

/** The C type arithmetic happens in (reduced-precision floats compute in f32). */
export function cComputeType(d: DType): string {
  switch (d) {
    case "f32": case "f16": case "bf16": return "float";
    case "i32": return "int32_t";
    case "i64": return "int64_t";
    case "bool": return "bool";
  }
}

/** Storage element -> compute value. */
export function cLoad(dl: CDialect, d: DType, lvalue: string): string {
  switch (d) {
    case "f16": return `${dl.h2f}(${lvalue})`;
    case "bf16": return `${dl.bf2f}(${lvalue})`;
    case "bool": return `(${lvalue} != 0)`;
    default: return lvalue;
  }
}

/** Compute value (already of dtype d) -> storage element. */
export function cStore(dl: CDialect, d: DType, value: string): string {
  switch (d) {
    case "f16": return `${dl.f2h}(${value})`;
    case "bf16": return `${dl.f2bf}(${value})`;
    case "bool": return `(uint8_t)((${value}) ? 1 : 0)`;
    default: return value;
  }
}

/** A literal of the dtype's compute type, exact for f32 values. */
export function cLiteral(v: number, d: DType): string {
  if (d === "bool") return v !== 0 && !Number.isNaN(v) ? "true" : "false";
  if (d === "i32") return `(int32_t)${Math.trunc(v) | 0}`;
  if (d === "i64") return Number.isFinite(v) ? `(int64_t)${Math.trunc(v)}LL` : "(int64_t)0";
  if (Number.isNaN(v)) return "NAN";
  if (v === Infinity) return "INFINITY";
  if (v === -Infinity) return "(-INFINITY)";
  const f = Math.fround(v);
  // 9 significant digits round-trip any f32.
  let s = f.toPrecision(9);
  if (!/[.e]/.test(s)) s += ".0";
  return `${f < 0 || Object.is(f, -0) ? `(${s}f)` : `${s}f`}`;
}

/** A dim as a C int64 expression; symbols are renamed by `sym`. */
export function cDim(d: Dim, sym: (name: string) => string): string {
  if (typeof d === "number") return Math.abs(d) > 0x7fffffff ? `${d}LL` : String(d);
  return `(${d.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (s) => sym(s))})`;
}

export interface ExprEnv {
  /** The value of load `i` at the current point, already in its compute type. */
  arg(i: number): string;
  /** The current index along a domain axis (int64). */
  index?(axis: number): string;
  /** A named scalar (reduction result, GEMM accumulator). */
  var(name: string): string;
  /** A dim as C int64. */
  dim(d: Dim): string;
}

/**
 * Emits an expression as `const T tN = ...;` statements, reusing any structurally equal
 * subexpression already emitted in the same scope. `lines` collects the statements.
 */
export class CExprEmitter {
  readonly lines: string[] = [];
  private readonly seen = new Map<string, string>();
  private next = 0;
  constructor(private readonly dl: CDialect, private readonly env: ExprEnv, private readonly prefix = "t") {}

  /** Emit `e` and return a C expression (a temp name or a literal) holding its value. */
  emit(e: Expr): string {
    if (e.k === "const") return cLiteral(e.v, e.dtype);
    if (e.k === "arg") return this.env.arg(e.arg);
    if (e.k === "var") return this.env.var(e.name);
    const key = exprKey(e);
    const have = this.seen.get(key);
    if (have) return have;
    const code = this.code(e);
    const name = `${this.prefix}${this.next++}`;
    const dt = e.k === "index" ? "i64" : e.dtype;
    this.lines.push(`const ${cComputeType(dt)} ${name} = ${code};`);
    this.seen.set(key, name);
    return name;
  }

  private code(e: Expr): string {
    const m = this.dl.math;
    switch (e.k) {
      case "index":
        if (!this.env.index) throw new GraphError(`[c-printer] an index expression outside an elementwise loop`);
        return this.env.index(e.axis);
      case "dim": return `(${cComputeType(e.dtype)})${this.env.dim(e.dim)}`;
      case "cast": return this.cast(this.emit(e.a), exprType(e.a), e.dtype);
      case "select": return `(${this.emit(e.c)} ? ${this.emit(e.a)} : ${this.emit(e.b)})`;
      case "unary": {
        const a = this.emit(e.a);
        const isF = cComputeType(e.dtype) === "float";
        switch (e.op) {
          case "neg": return `(-${a})`;
          case "abs": return isF ? `${m.fabs}(${a})` : `(${a} < 0 ? -${a} : ${a})`;
          case "exp": return `${m.exp}(${a})`;
          case "log": return `${m.log}(${a})`;
          case "sqrt": return `${m.sqrt}(${a})`;
          case "rsqrt": return `(1.0f / ${m.sqrt}(${a}))`;
          case "recip": return `(1.0f / ${a})`;
          case "tanh": return `${m.tanh}(${a})`;
          case "erf": return `${m.erf}(${a})`;
          case "sin": return `${m.sin}(${a})`;
          case "cos": return `${m.cos}(${a})`;
          case "floor": return `${m.floor}(${a})`;
          case "ceil": return `${m.ceil}(${a})`;
          case "sigmoid": return `(1.0f / (1.0f + ${m.exp}(-${a})))`;
          case "silu": return `(${a} / (1.0f + ${m.exp}(-${a})))`;
          case "relu": return `(${a} > 0 ? ${a} : ${isF ? "0.0f" : "0"})`;
          case "gelu": return `(0.5f * ${a} * (1.0f + ${m.erf}(${a} * 0.707106781f)))`;
          case "gelu_tanh": return `(0.5f * ${a} * (1.0f + ${m.tanh}(0.797884561f * (${a} + 0.044715f * ${a} * ${a} * ${a}))))`;
          case "not": return `(!${a})`;
        }
        break;
      }
      case "binary": {
        const a = this.emit(e.a), b = this.emit(e.b);
        const t = cComputeType(exprType(e.a));
        const isF = t === "float";
        switch (e.op) {
          case "add": return `(${a} + ${b})`;
          case "sub": return `(${a} - ${b})`;
          case "mul": return `(${a} * ${b})`;
          // Integer division by zero is undefined in C; the reference yields 0 there.
          case "div": return isF ? `(${a} / ${b})` : `(${b} == 0 ? (${t})0 : (${t})(${a} / ${b}))`;
          case "mod": return isF ? `${m.fmod}(${a}, ${b})` : `(${b} == 0 ? (${t})0 : (${t})(${a} % ${b}))`;
          case "pow": return isF ? `${m.pow}(${a}, ${b})` : `(${t})pow((double)${a}, (double)${b})`;
          // NaN propagates, as in the reference maximum/minimum.
          case "max": return `((${a} > ${b} || ${a} != ${a}) ? ${a} : ${b})`;
          case "min": return `((${a} < ${b} || ${a} != ${a}) ? ${a} : ${b})`;
          case "eq": return `(${a} == ${b})`;
          case "ne": return `(${a} != ${b})`;
          case "lt": return `(${a} < ${b})`;
          case "le": return `(${a} <= ${b})`;
          case "gt": return `(${a} > ${b})`;
          case "ge": return `(${a} >= ${b})`;
          case "and": return `(${a} && ${b})`;
          case "or": return `(${a} || ${b})`;
        }
        break;
      }
      default: break;
    }
    throw new GraphError(`[c-printer] cannot print expression ${exprKey(e)}`);
  }

  private cast(a: string, from: DType, to: DType): string {
    const fromF = cComputeType(from) === "float";
    switch (to) {
      case "f32": return `(float)(${a})`;
      // Rounding through the storage format keeps an explicit cast to f16/bf16 exact.
      case "f16": return `${this.dl.h2f}(${this.dl.f2h}((float)(${a})))`;
      case "bf16": return `${this.dl.bf2f}(${this.dl.f2bf}((float)(${a})))`;
      case "bool": return fromF ? `(${a} != 0.0f && ${a} == ${a})` : `(${a} != 0)`;
      case "i32": return fromF ? `(${this.dl.math.fabs}(${a}) < 2147483648.0f ? (int32_t)(${a}) : (int32_t)0)` : `(int32_t)(${a})`;
      case "i64": return fromF ? `(${this.dl.math.fabs}(${a}) < 9.2e18f ? (int64_t)(${a}) : (int64_t)0)` : `(int64_t)(${a})`;
    }
  }
}

function exprType(e: Expr): DType {
  return e.k === "index" ? "i64" : e.dtype;
}

/**
 * Software IEEE half and bfloat16 conversions (round to nearest even), used where the target has
 * no conversion instructions. Exactly the rounding of the reference (dtype.ts).
 */
export const C_HALF_HELPERS = `
static inline float mw_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t mw_float_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float mw_h2f_soft(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) { float v = (float)mant * 5.9604644775390625e-8f; return sign ? -v : v; }
  if (exp == 0x1f) return mw_bits_to_float(sign | 0x7f800000u | (mant << 13));
  return mw_bits_to_float(sign | ((exp + 112) << 23) | (mant << 13));
}
static inline uint16_t mw_f2h_soft(float f) {
  uint32_t x = mw_float_to_bits(f);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = 1u << (shift - 1), rest = mant & ((1u << shift) - 1), m = mant >> shift;
    if (rest > half || (rest == half && (m & 1))) m++;
    return (uint16_t)(sign | m);
  }
  uint32_t rest = mant & 0x1fff, out = sign | ((uint32_t)e << 10) | (mant >> 13);
  if (rest > 0x1000 || (rest == 0x1000 && (out & 1))) out++;
  return (uint16_t)out;
}
static inline float mw_bf2f(uint16_t h) { return mw_bits_to_float((uint32_t)h << 16); }
static inline uint16_t mw_f2bf(float f) {
  uint32_t x = mw_float_to_bits(f);
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu)) return (uint16_t)(((x >> 16) | 0x40) & 0xffff);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}
`;
