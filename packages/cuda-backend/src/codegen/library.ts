// CUDA source for the library kernels (GEMM, attention, layer_norm, softmax, conv1d): a thin
// extern "C" wrapper per instantiation of a template in native/include/mw_cuda.cuh, with flat
// scalar parameters so argument packing is one 8-byte slot per parameter.

import type { DType } from "@max-whisper/graph";
import type { Dims3 } from "../native.js";
import type { ArgKind } from "../runtime/args.js";

export const CUDA_TYPE: Record<DType, string> = {
  f32: "float", f16: "mw_f16", bf16: "mw_bf16", i32: "int", i64: "mw_i64", bool: "bool",
};

export interface Param {
  readonly name: string;
  /** C type as written in the signature (e.g. "const float*", "mw_i64"). */
  readonly ctype: string;
  readonly kind: ArgKind;
}

export const ptrParam = (name: string, dtype: DType, isConst = true): Param =>
  ({ name, ctype: `${isConst ? "const " : ""}${CUDA_TYPE[dtype]}* __restrict__`, kind: "ptr" });
export const i64Param = (name: string): Param => ({ name, ctype: "mw_i64", kind: "i64" });
export const f32Param = (name: string): Param => ({ name, ctype: "float", kind: "f32" });
export const i32Param = (name: string): Param => ({ name, ctype: "int", kind: "i32" });

export const signature = (params: readonly Param[]): string => params.map((p) => `${p.ctype} ${p.name}`).join(", ");

const cdiv = (a: number, b: number) => Math.max(1, Math.ceil(a / b));

// ---- GEMM ------------------------------------------------------------------------------------

export interface GemmEpilogue {
  /** Extra kernel parameters the epilogue reads (pointers, strides). */
  readonly params: readonly Param[];
  /** C statements computing the stored value from `acc` (and b, i, j), ending in `return ...;`. */
  readonly body: string;
}

export interface GemmSpec {
  readonly name: string;
  readonly ta: DType;
  readonly tb: DType;
  readonly tc: DType;
  readonly epilogue?: GemmEpilogue;
}

/** Tensor cores need both operands in the same 16-bit float type; anything else runs SIMT. */
export function gemmPath(spec: Pick<GemmSpec, "ta" | "tb">): "tc" | "simt" {
  return spec.ta === spec.tb && (spec.ta === "f16" || spec.ta === "bf16") ? "tc" : "simt";
}

export const GEMM_SHAPE_PARAMS = ["batch", "m", "n", "k", "a_bs", "a_rs", "a_cs", "b_bs", "b_rs", "b_cs"].map(i64Param);

/** A, B, C, shape, C strides (batch, row), alpha, then the epilogue's own parameters. */
export function gemmParams(spec: GemmSpec): Param[] {
  return [
    ptrParam("A", spec.ta), ptrParam("B", spec.tb), ptrParam("C", spec.tc, false),
    ...GEMM_SHAPE_PARAMS, i64Param("c_bs"), i64Param("c_rs"), f32Param("alpha"), ...(spec.epilogue?.params ?? []),
  ];
}

export function gemmSource(spec: GemmSpec): string {
  const path = gemmPath(spec);
  const epi = spec.epilogue;
  const fields = [`${CUDA_TYPE[spec.tc]}* c`, "mw_i64 c_bs", "mw_i64 c_rs", ...(epi?.params ?? []).map((p) => `${p.ctype.replace(" __restrict__", "")} ${p.name}`)];
  const lines = [
    `struct Epi_${spec.name} {`,
    ...fields.map((f) => `  ${f};`),
    "  __device__ __forceinline__ void operator()(float acc, mw_i64 b, mw_i64 i, mw_i64 j) const {",
    ...(epi ? [`    mw_st(c + b * c_bs + i * c_rs + j, [&]() -> float {`, ...epi.body.split("\n").map((l) => `      ${l}`), "    }());"]
      : ["    mw_st(c + b * c_bs + i * c_rs + j, acc);"]),
    "  }",
    "};",
    `extern "C" __global__ void __launch_bounds__(256) ${spec.name}(${signature(gemmParams(spec))}) {`,
    "  const MwGemmShape s{batch, m, n, k, a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, alpha};",
    `  const Epi_${spec.name} e{C, c_bs, c_rs${(epi?.params ?? []).map((p) => `, ${p.name}`).join("")}};`,
    `  ${path === "tc" ? "mw_gemm_tc(A, B, s, e);" : "mw_gemm_simt(A, B, s, e);"}`,
    "}",
    `MW_EXPORT(${spec.name})`,
  ];
  return lines.join("\n");
}

export function gemmLaunch(spec: Pick<GemmSpec, "ta" | "tb">, batch: number, m: number, n: number): { grid: Dims3; block: Dims3 } {
  return gemmGrid(gemmPath(spec), batch, m, n);
}

/** Below this many 128x128 tiles a GPU (~100+ SMs) idles: the tensor-core kernel then uses 64x64. */
export const TC_SMALL_GRID = 120;

export function gemmGrid(path: "tc" | "simt", batch: number, m: number, n: number): { grid: Dims3; block: Dims3 } {
  let tile = 64;
  if (path === "tc" && cdiv(n, 128) * cdiv(m, 128) * Math.max(batch, 1) >= TC_SMALL_GRID) tile = 128;
  return { grid: [cdiv(n, tile), cdiv(m, tile), Math.max(batch, 1)], block: [256, 1, 1] };
}

// ---- attention -------------------------------------------------------------------------------

export interface AttentionSpec {
  readonly name: string;
  readonly dtype: DType;
  /** Head dim (a multiple of 4, at most 256): a template constant so q/o live in registers. */
  readonly d: number;
}

export const ATTN_PARAMS_TAIL = [
  "heads", "lq", "lk", "q_bs", "q_hs", "q_rs", "k_bs", "k_hs", "k_rs", "v_bs", "v_hs", "v_rs",
  "o_bs", "o_hs", "o_rs", "m_bs", "m_hs", "m_rs", "m_cs",
].map(i64Param);

export function attentionParams(spec: AttentionSpec): Param[] {
  return [
    ptrParam("Q", spec.dtype), ptrParam("K", spec.dtype), ptrParam("V", spec.dtype), ptrParam("O", spec.dtype, false),
    ptrParam("mask", "f32"), ...ATTN_PARAMS_TAIL, f32Param("scale"), i32Param("causal"),
  ];
}

export function attentionSource(spec: AttentionSpec): string {
  if (spec.d % 4 !== 0 || spec.d > 256 || spec.d < 4)
    throw new Error(`[attention] head dim must be a multiple of 4 in 4..256, got ${spec.d}`);
  return [
    `extern "C" __global__ void __launch_bounds__(128) ${spec.name}(${signature(attentionParams(spec))}) {`,
    "  const MwAttnShape s{heads, lq, lk, q_bs, q_hs, q_rs, k_bs, k_hs, k_rs, v_bs, v_hs, v_rs, o_bs, o_hs, o_rs, m_bs, m_hs, m_rs, m_cs, scale, causal};",
    `  mw_attention<${CUDA_TYPE[spec.dtype]}, ${spec.d}>(Q, K, V, O, mask, s);`,
    "}",
    `MW_EXPORT(${spec.name})`,
  ].join("\n");
}

// Mirrors MW_AT_SMALL_LQ / MW_AT_PART_CAP / MW_AT_CNT_CAP in mw_cuda.cuh.
const ATTN_SMALL_LQ = 8, ATTN_PART_CAP = 1 << 20, ATTN_CNT_CAP = 1 << 14;
/** Enough blocks to fill an H100/H200 (132 SMs) about twice over. */
const ATTN_TARGET_BLOCKS = 264, ATTN_MIN_CHUNK = 32;

/**
 * Grid for mw_attention. lq <= 8 takes the flash-decoding path: one block per (query row, batch·head,
 * key split), the split count (grid z) chosen so the launch has a few hundred blocks with chunks of
 * at least 32 keys, within the device scratch's capacity. Larger lq: a block per query-row tile.
 */
export function attentionLaunch(batch: number, heads: number, lq: number, lk: number, d: number, dtype: DType): { grid: Dims3; block: Dims3 } {
  const bh = Math.max(batch * heads, 1);
  if (lq > ATTN_SMALL_LQ) {
    // The tensor-core path (f16/bf16, d % 16 == 0, d <= 64) takes 64 query rows per block, SIMT 32.
    const rows = (dtype === "f16" || dtype === "bf16") && d % 16 === 0 && d <= 64 ? 64 : 32;
    return { grid: [cdiv(lq, rows), bh, 1], block: [128, 1, 1] };
  }
  const rows = bh * lq;
  let splits = Math.max(1, Math.min(cdiv(ATTN_TARGET_BLOCKS, rows), cdiv(lk, ATTN_MIN_CHUNK)));
  if (rows > ATTN_CNT_CAP) splits = 1;
  else splits = Math.max(1, Math.min(splits, Math.floor(ATTN_PART_CAP / (rows * (d + 2)))));
  return { grid: [lq, bh, splits], block: [128, 1, 1] };
}

// ---- row kernels -----------------------------------------------------------------------------

export function layerNormSource(name: string, dtype: DType, gammaDType: DType = dtype): string {
  const params = [ptrParam("X", dtype), ptrParam("G", gammaDType), ptrParam("Bt", gammaDType), ptrParam("Y", dtype, false), i64Param("n"), f32Param("eps")];
  return [
    `extern "C" __global__ void ${name}(${signature(params)}) {`,
    "  mw_layer_norm_row(X, G, Bt, Y, n, eps);",
    "}",
    `MW_EXPORT(${name})`,
  ].join("\n");
}

export function softmaxSource(name: string, dtype: DType, log = false): string {
  const params = [ptrParam("X", dtype), ptrParam("Y", dtype, false), i64Param("n")];
  return [
    `extern "C" __global__ void ${name}(${signature(params)}) {`,
    `  mw_softmax_row<${CUDA_TYPE[dtype]}, ${log}>(X, Y, n);`,
    "}",
    `MW_EXPORT(${name})`,
  ].join("\n");
}

/** Threads per row for a row of n elements: a multiple of 32, at most 1024. */
export function rowBlock(n: number): Dims3 {
  return [Math.min(1024, Math.max(32, Math.ceil(Math.min(n, 4096) / 4 / 32) * 32)), 1, 1];
}

// ---- conv1d ----------------------------------------------------------------------------------

export const CONV_SHAPE_PARAMS = [...["batch", "cin", "cout", "lin", "lout", "ksize", "stride", "pad", "dilation"].map(i64Param), i32Param("gelu")];

export function conv1dSource(name: string, dtype: DType, wDType: DType = dtype): string {
  const params = [ptrParam("X", dtype), ptrParam("W", wDType), ptrParam("Bias", wDType), ptrParam("Y", dtype, false), ...CONV_SHAPE_PARAMS];
  return [
    `extern "C" __global__ void __launch_bounds__(128) ${name}(${signature(params)}) {`,
    "  const MwConvShape s{batch, cin, cout, lin, lout, ksize, stride, pad, dilation, gelu};",
    "  mw_conv1d(X, W, Bias, Y, s);",
    "}",
    `MW_EXPORT(${name})`,
  ].join("\n");
}

export function conv1dLaunch(batch: number, cout: number, lout: number): { grid: Dims3; block: Dims3 } {
  return { grid: [cdiv(lout, 128), cout, Math.max(batch, 1)], block: [128, 1, 1] };
}

/** One translation unit from kernel bodies (one nvcc call builds them all). */
export function translationUnit(bodies: readonly string[]): string {
  return ['#include "mw_cuda.cuh"', "", ...bodies.map((b) => `${b}\n`)].join("\n");
}
