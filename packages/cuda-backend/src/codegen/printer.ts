// The CUDA printer: a KernelPlan (graph/src/plan) to one CUDA C translation unit. Scalar
// expressions go through the C-family printer shared with the cpu backend (CExprEmitter with a
// CUDA dialect); GEMM and attention kernels wrap the templates of native/include/mw_cuda.cuh
// with a printed epilogue. Every kernel takes its buffers as pointers, then every plan symbol
// as int64, so one launch routine serves all kernels.

import {
  type Bindings, type DType, type Dim, UnsupportedOpError, evalDim,
} from "@max-whisper/graph";
import {
  type CDialect, CExprEmitter, CPP_DIALECT, type Expr, type Kernel, type KernelPlan, type Store, type View,
  cDim, cLiteral, cLoad, cStorageType, cComputeType, cStore, collapseAxes, kernelBuffers, viewKey, walkExpr,
} from "@max-whisper/graph/plan";
import type { Dims3 } from "../native.js";
import { attentionLaunch, gemmGrid, rowBlock } from "./library.js";

export const CUDA_DIALECT: CDialect = {
  ...CPP_DIALECT,
  inline: "__device__ __forceinline__",
  h2f: "mw_h2f", f2h: "mw_f2h", bf2f: "mw_bf2f", f2bf: "mw_f2bf",
};

export interface PrintedKernel {
  readonly name: string;
  readonly kind: Kernel["kind"];
  /** Buffer ids in parameter order (followed by every plan symbol as int64). */
  readonly buffers: readonly number[];
  /** Launch shape for concrete dims; null when the kernel has nothing to do (a zero-size dim). */
  launch(env: Bindings): { grid: Dims3; block: Dims3 } | null;
}

export interface PrintedPlan {
  /** A complete translation unit (includes the kernel header). */
  readonly source: string;
  /** The kernels alone, for concatenating several plans into one translation unit. */
  readonly body: string;
  readonly kernels: readonly PrintedKernel[];
}

const ELEMENTWISE_BLOCK = 256;
const MAX_GRID_X = 65535 * 16;

const sym = (s: string) => `s_${s}`;
const dimC = (d: Dim) => cDim(d, sym);
const cdiv = (a: number, b: number) => Math.ceil(a / b);
const prod = (ds: readonly Dim[], env: Bindings) => ds.reduce<number>((p, d) => p * evalDim(d, env), 1);

/** Element offset of a view at the given per-axis index variables (int64 C expression). */
function viewIndex(v: View, idx: readonly string[]): string {
  const terms: string[] = [];
  if (v.offset !== 0) terms.push(dimC(v.offset));
  v.strides.forEach((s, a) => {
    if (s === 0) return;
    terms.push(s === 1 ? idx[a]! : `${idx[a]} * ${dimC(s)}`);
  });
  return terms.length ? terms.join(" + ") : "0";
}

/** `const int64_t i0 = ..., ...` decomposing a linear index over `shape` into per-axis indices. */
function decompose(linear: string, shape: readonly Dim[], names: readonly string[], lines: string[], indent: string): void {
  if (shape.length === 0) return;
  lines.push(`${indent}{`);
  lines.push(`${indent}  int64_t rem_ = ${linear};`);
  for (let a = shape.length - 1; a > 0; a--) lines.push(`${indent}  ${names[a]} = rem_ % ${dimC(shape[a]!)}; rem_ /= ${dimC(shape[a]!)};`);
  lines.push(`${indent}  ${names[0]} = rem_;`);
  lines.push(`${indent}}`);
}

function argsUsed(exprs: readonly Expr[]): Set<number> {
  const s = new Set<number>();
  for (const e of exprs) walkExpr(e, (x) => { if (x.k === "arg") s.add(x.arg); });
  return s;
}

export interface PrintOptions {
  /** Rename the kernels (k3_add -> <prefix>k3_add) so several plans can share one module. */
  prefix?: string;
  /**
   * Run f32 attention on the tensor cores in f16 (q, k, v rounded as their tiles are staged;
   * softmax statistics and accumulation in f32), as a half-precision model does. Off: f32
   * attention keeps f32 throughout (SIMT).
   */
  halfAttention?: boolean;
}

class KernelPrinter {
  readonly lines: string[] = [];
  constructor(readonly plan: KernelPlan, private readonly opts: PrintOptions = {}) {}

  dtype(buffer: number): DType {
    return this.plan.buffers[buffer]!.dtype;
  }
  ptr(buffer: number): string {
    return `b${buffer}`;
  }
  params(bufs: readonly number[]): string {
    return [
      ...bufs.map((b) => `${cStorageType(this.dtype(b))}* ${this.ptr(b)}`),
      ...this.plan.symbols.map((s) => `int64_t ${sym(s)}`),
    ].join(", ");
  }
  load(v: View, idx: readonly string[]): string {
    return cLoad(CUDA_DIALECT, this.dtype(v.buffer), `${this.ptr(v.buffer)}[${viewIndex(v, idx)}]`);
  }
  /** Loads (only those used) and expression statements at one point; returns the values' C names. */
  evalAt(loads: readonly View[], exprs: readonly Expr[], idx: readonly string[], vars: Record<string, string>, index?: (axis: number) => string): { lines: string[]; values: string[] } {
    const lines: string[] = [];
    for (const i of [...argsUsed(exprs)].sort((a, b) => a - b)) {
      const v = loads[i]!;
      lines.push(`const ${cComputeType(this.dtype(v.buffer))} a${i} = ${this.load(v, idx)};`);
    }
    const em = new CExprEmitter(CUDA_DIALECT, { arg: (i) => `a${i}`, var: (n) => vars[n] ?? n, dim: dimC, index });
    const values = exprs.map((e) => em.emit(e));
    lines.push(...em.lines);
    return { lines, values };
  }
  /** evalAt plus the stores. */
  body(loads: readonly View[], stores: readonly Store[], idx: readonly string[], indent: string, vars: Record<string, string>, index?: (axis: number) => string): string[] {
    const { lines, values } = this.evalAt(loads, stores.map((s) => s.expr), idx, vars, index);
    stores.forEach((s, i) => lines.push(`${this.ptr(s.view.buffer)}[${viewIndex(s.view, idx)}] = ${cStore(CUDA_DIALECT, this.dtype(s.view.buffer), values[i]!)};`));
    return lines.map((l) => indent + l);
  }

  print(k: Kernel): PrintedKernel {
    switch (k.kind) {
      case "elementwise": return this.elementwise(k);
      case "row": return this.row(k);
      case "gemm": return this.gemm(k);
      case "attention": return this.attention(k);
      case "library": return this.library(k);
    }
  }

  private elementwise(k: Extract<Kernel, { kind: "elementwise" }>): PrintedKernel {
    const keep = new Set<number>();
    for (const s of k.stores) walkExpr(s.expr, (x) => { if (x.k === "index") keep.add(x.axis); });
    const views = [...k.loads, ...k.stores.map((s) => s.view)];
    const merged = collapseAxes(k.shape, views, keep);
    const shape = merged.shape;
    const loads = merged.views.slice(0, k.loads.length);
    const stores = k.stores.map((s, i) => ({ view: merged.views[k.loads.length + i]!, expr: s.expr }));
    const idx = shape.map((_, a) => `i${a}`);
    const bufs = kernelBuffers(k);
    const L = this.lines;
    L.push(`extern "C" __global__ void __launch_bounds__(${ELEMENTWISE_BLOCK}) ${k.name}(${this.params(bufs)}) {`);
    L.push(`  const int64_t total_ = ${shape.length ? shape.map(dimC).join(" * ") : "1"};`);
    L.push("  for (int64_t lin_ = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; lin_ < total_; lin_ += (int64_t)gridDim.x * blockDim.x) {");
    if (idx.length) L.push(`    int64_t ${idx.join(", ")};`);
    decompose("lin_", shape, idx, L, "    ");
    L.push(...this.body(loads, stores, idx, "    ", {}, (a) => idx[a]!));
    L.push("  }", "}", `MW_EXPORT(${k.name})`, "");
    return {
      name: k.name, kind: k.kind, buffers: bufs,
      launch: (env) => {
        const n = prod(shape, env);
        return n === 0 ? null : { grid: [Math.min(cdiv(n, ELEMENTWISE_BLOCK), MAX_GRID_X), 1, 1], block: [ELEMENTWISE_BLOCK, 1, 1] };
      },
    };
  }

  private row(k: Extract<Kernel, { kind: "row" }>): PrintedKernel {
    const bufs = kernelBuffers(k);
    const no = k.outer.length, ni = k.inner.length;
    const oIdx = k.outer.map((_, a) => `o${a}`), iIdx = k.inner.map((_, a) => `j${a}`);
    const idx = [...oIdx, ...iIdx];
    const L = this.lines;
    const vars: Record<string, string> = {};
    L.push(`extern "C" __global__ void __launch_bounds__(1024) ${k.name}(${this.params(bufs)}) {`);
    L.push("  __shared__ __align__(8) unsigned char red_[32 * 8];");
    L.push(`  const int64_t len_ = ${ni ? k.inner.map(dimC).join(" * ") : "1"};`);
    if (no) L.push(`  int64_t ${oIdx.join(", ")};`);
    decompose("(int64_t)blockIdx.x", k.outer, oIdx, L, "  ");
    // One pass over the row per reduction; each may use the results of the earlier ones.
    k.reductions.forEach((r) => {
      const ct = cComputeType(r.expr.k === "index" ? "i64" : r.expr.dtype);
      const op = `${r.op === "sum" ? "MwSum" : r.op === "max" ? "MwMax" : "MwMin"}<${ct}>`;
      const name = `red_${r.name}`;
      L.push(`  ${ct} ${name};`, "  {");
      L.push(`    ${ct} acc_ = ${op}::id();`);
      L.push("    for (int64_t jl_ = threadIdx.x; jl_ < len_; jl_ += blockDim.x) {");
      if (ni) L.push(`      int64_t ${iIdx.join(", ")};`);
      decompose("jl_", k.inner, iIdx, L, "      ");
      const { lines, values } = this.evalAt(k.loads, [r.expr], idx, vars);
      L.push(...lines.map((l) => `      ${l}`), `      acc_ = ${op}()(acc_, (${ct})(${values[0]}));`);
      L.push("    }");
      L.push(`    ${name} = mw_block_reduce(acc_, ${op}(), red_);`);
      L.push("  }");
      vars[r.name] = name;
    });
    if (k.stores.length) {
      L.push("  for (int64_t jl_ = threadIdx.x; jl_ < len_; jl_ += blockDim.x) {");
      if (ni) L.push(`    int64_t ${iIdx.join(", ")};`);
      decompose("jl_", k.inner, iIdx, L, "    ");
      L.push(...this.body(k.loads, k.stores, idx, "    ", vars));
      L.push("  }");
    }
    if (k.rowStores.length) {
      L.push("  if (threadIdx.x == 0) {");
      if (ni) L.push(`    const int64_t ${iIdx.map((n) => `${n} = 0`).join(", ")};`);
      L.push(...this.body(k.loads, k.rowStores, idx, "    ", vars));
      L.push("  }");
    }
    L.push("}", `MW_EXPORT(${k.name})`, "");
    return {
      name: k.name, kind: k.kind, buffers: bufs,
      launch: (env) => {
        const rows = prod(k.outer, env), len = prod(k.inner, env);
        if (rows === 0) return null;
        return { grid: [rows, 1, 1], block: rowBlock(Math.max(len, 1)) };
      },
    };
  }

  /**
   * Tensor cores whenever B (the weight) is f16 or bf16: an A in the same type goes as it is, an
   * f32 A (the activations of a graph with 16-bit weights) is rounded to B's type as its tiles
   * are loaded, with f32 accumulation, as PyTorch's half-precision models and autocast do. f32
   * weights take the SIMT path, which keeps every product in f32.
   */
  private gemmPath(k: Extract<Kernel, { kind: "gemm" }>): "tc" | "simt" {
    const tb = k.bDType, ta = this.dtype(k.a.buffer);
    return (tb === "f16" || tb === "bf16") && (ta === tb || ta === "f32") ? "tc" : "simt";
  }

  private gemm(k: Extract<Kernel, { kind: "gemm" }>): PrintedKernel {
    const bufs = kernelBuffers(k);
    const nb = k.batch.length;
    const bIdx = k.batch.map((_, a) => `e${a}`);
    const path = this.gemmPath(k);
    const cStride = k.c.strides[nb + 1];
    if (cStride !== undefined && cStride !== 1 && k.n !== 1)
      throw new UnsupportedOpError("matmul", this.dtype(k.c.buffer), "cuda", `GEMM output must be contiguous in n, got stride ${cStride}`);
    const epiStores = k.epilogue?.stores ?? [];
    const cKey = viewKey(k.c);
    const cReadElsewhere = this.plan.kernels.some((o) => o !== k && kernelBuffers(o).includes(k.c.buffer))
      || this.plan.buffers[k.c.buffer]!.kind !== "temp";
    const writeC = !epiStores.some((s) => viewKey(s.view) === cKey) && (cReadElsewhere || epiStores.length === 0);
    const stores: Store[] = [...epiStores];
    if (writeC) stores.push({ view: k.c, expr: { k: "var", name: "acc", dtype: "f32" } });
    const epiLoads = k.epilogue?.loads ?? [];
    const idx = [...bIdx, "i", "j"];
    const L = this.lines;
    const fields = [...bufs.map((b) => `${cStorageType(this.dtype(b))}* ${this.ptr(b)}`), ...this.plan.symbols.map((s) => `int64_t ${sym(s)}`)];
    L.push(`struct Epi_${k.name} {`, ...fields.map((f) => `  ${f};`));
    L.push("  __device__ __forceinline__ void operator()(float acc, int64_t bz_, int64_t i, int64_t j) const {");
    if (nb) L.push(`    int64_t ${bIdx.join(", ")};`);
    decompose("bz_", k.batch, bIdx, L, "    ");
    L.push(...this.body(epiLoads, stores, idx, "    ", { acc: "acc" }));
    L.push("  }", "};");
    const storageT = (dt: DType) => (dt === "f16" ? "mw_f16" : dt === "bf16" ? "mw_bf16" : cStorageType(dt));
    const ta = storageT(this.dtype(k.a.buffer)), tb = storageT(k.bDType);
    const batchOff = (v: View) => [v.offset !== 0 ? dimC(v.offset) : "", ...k.batch.map((_, a) => (v.strides[a] === 0 ? "" : `${bIdx[a]} * ${dimC(v.strides[a]!)}`))].filter(Boolean).join(" + ") || "0";
    L.push(`extern "C" __global__ void __launch_bounds__(256) ${k.name}(${this.params(bufs)}) {`);
    if (nb) L.push(`  int64_t ${bIdx.join(", ")};`);
    decompose("(int64_t)blockIdx.z", k.batch, bIdx, L, "  ");
    L.push(`  const ${ta}* A_ = reinterpret_cast<const ${ta}*>(${this.ptr(k.a.buffer)}) + (${batchOff(k.a)});`);
    L.push(`  const ${tb}* B_ = reinterpret_cast<const ${tb}*>(${this.ptr(k.b.buffer)}) + (${batchOff(k.b)});`);
    const st = (v: View, a: number) => dimC(v.strides[nb + a]!);
    L.push(`  const MwGemmShape s_{1, ${dimC(k.m)}, ${dimC(k.n)}, ${dimC(k.k)}, 0, ${st(k.a, 0)}, ${st(k.a, 1)}, 0, ${st(k.b, 0)}, ${st(k.b, 1)}, ${cLiteral(k.alpha, "f32")}};`);
    L.push(`  const Epi_${k.name} e_{${[...bufs.map((b) => this.ptr(b)), ...this.plan.symbols.map(sym)].join(", ")}};`);
    L.push(`  ${path === "tc" ? "mw_gemm_tc" : "mw_gemm_simt"}(A_, B_, s_, e_);`);
    L.push("}", `MW_EXPORT(${k.name})`, "");
    return {
      name: k.name, kind: k.kind, buffers: bufs,
      launch: (env) => {
        const batch = prod(k.batch, env), m = evalDim(k.m, env), n = evalDim(k.n, env);
        if (batch === 0 || m === 0 || n === 0) return null;
        return gemmGrid(path, batch, m, n);
      },
    };
  }

  private attention(k: Extract<Kernel, { kind: "attention" }>): PrintedKernel {
    const dt = this.dtype(k.q.buffer);
    const d = k.d, dv = k.dv;
    if (typeof d !== "number" || d !== dv || d % 4 !== 0 || d > 256)
      throw new UnsupportedOpError("scaled_dot_product_attention", dt, "cuda", `head dims must be equal static multiples of 4 up to 256, got d=${d}, dv=${dv}`);
    for (const v of [k.q, k.k, k.v, k.out])
      if (v.strides[3] !== 1 || this.dtype(v.buffer) !== dt)
        throw new UnsupportedOpError("scaled_dot_product_attention", dt, "cuda", "q, k, v and out need one dtype and contiguous columns");
    if (k.mask && this.dtype(k.mask.buffer) !== "f32")
      throw new UnsupportedOpError("scaled_dot_product_attention", this.dtype(k.mask.buffer), "cuda", "the additive mask must be f32");
    const bufs = kernelBuffers(k);
    const T = dt === "f16" ? "mw_f16" : dt === "bf16" ? "mw_bf16" : "float";
    // The type the tile path computes in (and that the launch is sized for).
    const half = dt === "f32" && this.opts.halfAttention === true && d % 16 === 0 && d <= 64;
    const computeDt: DType = half ? "f16" : dt;
    const p = (v: View) => `reinterpret_cast<${T}*>(${this.ptr(v.buffer)}) + ${v.offset === 0 ? "0" : dimC(v.offset)}`;
    const s3 = (v: View) => v.strides.slice(0, 3).map((x) => dimC(x)).join(", ");
    const m = k.mask;
    const L = this.lines;
    L.push(`extern "C" __global__ void __launch_bounds__(128) ${k.name}(${this.params(bufs)}) {`);
    L.push(`  const MwAttnShape s_{${dimC(k.heads)}, ${dimC(k.lq)}, ${dimC(k.lk)}, ${s3(k.q)}, ${s3(k.k)}, ${s3(k.v)}, ${s3(k.out)}, ${m ? m.strides.map((x) => dimC(x)).join(", ") : "0, 0, 0, 0"}, ${cLiteral(k.scale, "f32")}, ${k.causal ? 1 : 0}};`);
    L.push(`  mw_attention<${T}, ${d}${half ? ", mw_f16" : ""}>(${p(k.q)}, ${p(k.k)}, ${p(k.v)}, ${p(k.out)}, ${m ? `${this.ptr(m.buffer)} + ${m.offset === 0 ? "0" : dimC(m.offset)}` : "nullptr"}, s_);`);
    L.push("}", `MW_EXPORT(${k.name})`, "");
    return {
      name: k.name, kind: k.kind, buffers: bufs,
      launch: (env) => {
        const b = evalDim(k.batch, env), h = evalDim(k.heads, env), lq = evalDim(k.lq, env);
        return b * h === 0 || lq === 0 ? null : attentionLaunch(b, h, lq, evalDim(k.lk, env), d, computeDt);
      },
    };
  }

  private library(k: Extract<Kernel, { kind: "library" }>): PrintedKernel {
    const bufs = kernelBuffers(k);
    const L = this.lines;
    const off = (v: View) => (v.offset === 0 ? "0" : dimC(v.offset));
    let total: Dim[];
    L.push(`extern "C" __global__ void __launch_bounds__(256) ${k.name}(${this.params(bufs)}) {`);
    const loop = (n: string) => L.push(`  const int64_t total_ = ${n};`, "  for (int64_t t_ = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t_ < total_; t_ += (int64_t)gridDim.x * blockDim.x) {");
    switch (k.op) {
      case "gather": {
        total = [k.outer, k.count, k.inner];
        loop(`${dimC(k.outer)} * ${dimC(k.count)} * ${dimC(k.inner)}`);
        L.push(
          `    const int64_t inner_ = ${dimC(k.inner)}, count_ = ${dimC(k.count)}, len_ = ${dimC(k.len)};`,
          "    const int64_t i = t_ % inner_, t = (t_ / inner_) % count_, o = t_ / inner_ / count_;",
          `    int64_t ix = (int64_t)${this.ptr(k.indices.buffer)}[${off(k.indices)} + t];`,
          "    if (ix < 0) ix += len_;",
          // Out-of-range indices read as zero rather than fault (the reference rejects them).
          `    ${this.ptr(k.out.buffer)}[${off(k.out)} + t_] = (ix >= 0 && ix < len_) ? ${this.ptr(k.x.buffer)}[${off(k.x)} + (o * len_ + ix) * inner_ + i] : (${cStorageType(k.dtype)})0;`,
        );
        break;
      }
      case "argmax": {
        total = [k.outer, k.inner];
        loop(`${dimC(k.outer)} * ${dimC(k.inner)}`);
        L.push(
          `    const int64_t inner_ = ${dimC(k.inner)}, len_ = ${dimC(k.len)};`,
          "    const int64_t i = t_ % inner_, o = t_ / inner_;",
          "    int64_t best = 0; float bv = 0.f;",
          "    for (int64_t j = 0; j < len_; j++) {",
          `      const float v = ${cLoad(CUDA_DIALECT, k.dtype, `${this.ptr(k.x.buffer)}[${off(k.x)} + (o * len_ + j) * inner_ + i]`)};`,
          // NaN counts as the largest value; the first maximum wins.
          "      if (j == 0 || (v != v && bv == bv) || v > bv) { best = j; bv = v; }",
          "      if (bv != bv) break;",
          "    }",
          `    ${this.ptr(k.out.buffer)}[${off(k.out)} + t_] = (${cStorageType(this.dtype(k.out.buffer))})best;`,
        );
        break;
      }
      case "im2col": {
        total = [k.batch, k.channels * k.kernel, k.outLength];
        loop(`${dimC(k.batch)} * ${k.channels * k.kernel} * ${dimC(k.outLength)}`);
        L.push(
          `    const int64_t lout_ = ${dimC(k.outLength)}, len_ = ${dimC(k.length)};`,
          `    const int64_t t = t_ % lout_, row = (t_ / lout_) % ${k.channels * k.kernel}, nb = t_ / lout_ / ${k.channels * k.kernel};`,
          `    const int64_t c = row / ${k.kernel}, kk = row % ${k.kernel};`,
          `    const int64_t p = t * ${k.stride} - ${k.padLeft} + kk * ${k.dilation};`,
          `    ${this.ptr(k.out.buffer)}[${off(k.out)} + t_] = (p >= 0 && p < len_) ? ${this.ptr(k.x.buffer)}[${off(k.x)} + (nb * ${k.channels} + c) * len_ + p] : (${cStorageType(k.dtype)})0;`,
        );
        break;
      }
    }
    L.push("  }", "}", `MW_EXPORT(${k.name})`, "");
    return {
      name: k.name, kind: k.kind, buffers: bufs,
      launch: (env) => {
        const n = prod(total, env);
        return n === 0 ? null : { grid: [Math.min(cdiv(n, 256), MAX_GRID_X), 1, 1], block: [256, 1, 1] };
      },
    };
  }
}

export const CUDA_PRELUDE = '#include "mw_cuda.cuh"\n';

/** Print every kernel of a plan into one translation unit. */
export function printPlan(plan: KernelPlan, opts: PrintOptions = {}): PrintedPlan {
  const prefix = opts.prefix ?? "";
  const renamed: KernelPlan = prefix ? { ...plan, kernels: plan.kernels.map((k) => ({ ...k, name: prefix + k.name }) as Kernel) } : plan;
  const p = new KernelPrinter(renamed, opts);
  p.lines.push(`// ${plan.graphName}: ${plan.kernels.length} kernels (generated by @max-whisper/cuda-backend)`);
  const kernels = renamed.kernels.map((k) => p.print(k));
  const body = p.lines.join("\n");
  return { source: CUDA_PRELUDE + body, body, kernels };
}
