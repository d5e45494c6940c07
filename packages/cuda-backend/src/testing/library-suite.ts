// The library-kernel suite: GEMM (SIMT and tensor-core, with a fused epilogue), attention
// (encoder, causal over a kv-cache, cross, masked), layer_norm, softmax, conv1d, each checked
// against reference.ts. It runs on any KernelDevice: the CPU harness in CI, the GPU when lent.

import { type DType, Tensor, DTYPE_BYTES } from "@max-whisper/graph";
import {
  attentionLaunch, attentionSource, conv1dLaunch, conv1dSource, gemmLaunch, gemmSource, layerNormSource,
  ptrParam, i64Param, rowBlock, softmaxSource, translationUnit, type GemmSpec,
} from "../codegen/library.js";
import { KernelArgs } from "../runtime/args.js";
import type { KernelDevice, LoadedModule } from "../runtime/device.js";
import {
  type Compare, compare, randomTensor, refAttention, refConv1d, refGemm, refLayerNorm, refSoftmax,
} from "./reference.js";

export interface SuiteCase {
  readonly name: string;
  run(dev: KernelDevice, mod: LoadedModule): Compare;
}

/** Upload tensors, run, download `outs` (dtype, element count) as float64. */
export function withBuffers(
  dev: KernelDevice, inputs: readonly (Tensor | null)[], outs: readonly [DType, number][],
  body: (ins: bigint[], outs: bigint[]) => void,
): Float64Array[] {
  const ins = inputs.map((t) => {
    if (!t) return 0n;
    const p = dev.alloc(t.byteLength);
    dev.upload(p, t.data);
    return p;
  });
  const os = outs.map(([dt, n]) => dev.alloc(n * DTYPE_BYTES[dt]));
  try {
    body(ins, os);
    const res = outs.map(([dt, n]) => new Tensor(dt, [n]));
    res.forEach((t, i) => dev.download(t.data, os[i]!));
    dev.sync();
    return res.map((t) => t.toFloat64Array());
  } finally {
    for (const p of [...ins, ...os]) if (p) dev.free(p);
  }
}

const gelu = (x: number) => 0.5 * x * (1 + erfApprox(x / Math.SQRT2));
// Numerical Recipes' erfc approximation (fractional error < 1.2e-7): ample for these tolerances.
function erfApprox(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
}

interface GemmCase {
  spec: GemmSpec;
  batch: number; m: number; n: number; k: number;
  /** B stored as [n, k] (k contiguous), i.e. the weight of a Linear layer. */
  bTransposed: boolean;
  withEpilogue: boolean;
}

const EPILOGUE = {
  params: [ptrParam("bias", "f32"), ptrParam("res", "f32"), i64Param("res_rs")],
  body: "return mw_gelu(acc + mw_ld(bias + j)) + mw_ld(res + i * res_rs + j);",
};

function gemmCase(c: GemmCase): SuiteCase {
  const { spec, batch, m, n, k } = c;
  return {
    name: `gemm ${spec.ta}·${spec.tb}->${spec.tc} ${batch}x${m}x${n}x${k}${c.bTransposed ? " Bᵀ" : ""}${c.withEpilogue ? " +bias,gelu,residual" : ""}`,
    run(dev, mod) {
      const A = randomTensor(spec.ta, [batch, m, k], 11);
      const B = randomTensor(spec.tb, c.bTransposed ? [batch, n, k] : [batch, k, n], 12);
      const bias = randomTensor("f32", [n], 13), res = randomTensor("f32", [m, n], 14);
      const bs: [number, number, number] = c.bTransposed ? [n * k, 1, k] : [k * n, n, 1];
      const alpha = 0.5;
      const [out] = withBuffers(dev, [A, B, bias, res], [[spec.tc, batch * m * n]], ([a, b, bi, r], [o]) => {
        const args = new KernelArgs().ptr(a!).ptr(b!).ptr(o!)
          .i64(batch).i64(m).i64(n).i64(k).i64(m * k).i64(k).i64(1).i64(bs[0]).i64(bs[1]).i64(bs[2]).i64(m * n).i64(n).f32(alpha);
        if (c.withEpilogue) args.ptr(bi!).ptr(r!).i64(n);
        const { grid, block } = gemmLaunch(spec, batch, m, n);
        dev.launch(mod, spec.name, grid, block, args);
      });
      const ref = refGemm(A.toFloat64Array(), B.toFloat64Array(), batch, m, n, k, [m * k, k, 1], bs);
      const bd = bias.toFloat64Array(), rd = res.toFloat64Array();
      for (let b = 0; b < batch; b++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            const x = ref[(b * m + i) * n + j]! * alpha;
            ref[(b * m + i) * n + j] = c.withEpilogue ? gelu(x + bd[j]!) + rd[i * n + j]! : x;
          }
      // f32 accumulation over k terms of size <= 1: error grows like sqrt(k)·eps.
      return compare(out!, ref, spec.tc, 1e-4 * Math.sqrt(k) + (spec.tc === "f32" ? 0 : 1e-3));
    },
  };
}

interface AttnCase {
  name: string; dtype: DType; B: number; H: number; lq: number; lk: number; d: number; causal: boolean; mask: boolean;
  /** K and V start one element past a 16-byte boundary: the kernels' vector loads must fall back. */
  misaligned?: boolean;
}

function attentionCase(c: AttnCase, kernel: string): SuiteCase {
  return {
    name: `attention ${c.name} ${c.dtype} B${c.B} H${c.H} ${c.lq}x${c.lk} d${c.d}${c.causal ? " causal" : ""}${c.mask ? " mask" : ""}`,
    run(dev, mod) {
      const { B, H, lq, lk, d } = c;
      const sh = c.misaligned ? 1 : 0;
      const Q = randomTensor(c.dtype, [B, H, lq, d], 21), K = randomTensor(c.dtype, [B * H * lk * d + sh], 22), V = randomTensor(c.dtype, [B * H * lk * d + sh], 23);
      const skip = BigInt(sh * DTYPE_BYTES[c.dtype]);
      const M = c.mask ? randomTensor("f32", [B, H, lq, lk], 24, 2) : null;
      const scale = 1 / Math.sqrt(d);
      const [out] = withBuffers(dev, [Q, K, V, M], [[c.dtype, B * H * lq * d]], ([q, k, v, m], [o]) => {
        const args = new KernelArgs().ptr(q!).ptr(k! + skip).ptr(v! + skip).ptr(o!).ptr(m ?? 0n).i64(H).i64(lq).i64(lk)
          .i64(H * lq * d).i64(lq * d).i64(d).i64(H * lk * d).i64(lk * d).i64(d).i64(H * lk * d).i64(lk * d).i64(d)
          .i64(H * lq * d).i64(lq * d).i64(d).i64(H * lq * lk).i64(lq * lk).i64(lk).i64(1).f32(scale).i32(c.causal ? 1 : 0);
        const { grid, block } = attentionLaunch(B, H, lq, lk, d, c.dtype);
        dev.launch(mod, kernel, grid, block, args);
      });
      const ref = refAttention(Q.toFloat64Array(), K.toFloat64Array().subarray(sh), V.toFloat64Array().subarray(sh), B, H, lq, lk, d, scale, c.causal, M?.toFloat64Array());
      return compare(out!, ref, c.dtype, c.dtype === "f32" ? 2e-5 : 2e-3);
    },
  };
}

export interface LibrarySuite {
  readonly source: string;
  readonly cases: readonly SuiteCase[];
}

/** `big` adds the Whisper-tiny-sized shapes (too slow for the CPU harness). */
export function librarySuite(opts: { big?: boolean } = {}): LibrarySuite {
  const bodies: string[] = [];
  const cases: SuiteCase[] = [];
  const gemmSpecs = new Map<string, GemmSpec>();
  const gemm = (ta: DType, tb: DType, tc: DType, epi: boolean) => {
    const name = `t_gemm_${ta}_${tb}_${tc}${epi ? "_epi" : ""}`;
    if (!gemmSpecs.has(name)) {
      const spec: GemmSpec = { name, ta, tb, tc, epilogue: epi ? EPILOGUE : undefined };
      gemmSpecs.set(name, spec);
      bodies.push(gemmSource(spec));
    }
    return gemmSpecs.get(name)!;
  };
  cases.push(gemmCase({ spec: gemm("f32", "f32", "f32", false), batch: 2, m: 70, n: 45, k: 33, bTransposed: false, withEpilogue: false }));
  cases.push(gemmCase({ spec: gemm("f32", "f32", "f32", true), batch: 1, m: 65, n: 70, k: 40, bTransposed: true, withEpilogue: true }));
  cases.push(gemmCase({ spec: gemm("f32", "f16", "f32", false), batch: 1, m: 20, n: 30, k: 24, bTransposed: true, withEpilogue: false }));
  cases.push(gemmCase({ spec: gemm("f16", "f16", "f16", false), batch: 1, m: 130, n: 136, k: 48, bTransposed: false, withEpilogue: false }));
  cases.push(gemmCase({ spec: gemm("f16", "f16", "f32", true), batch: 1, m: 40, n: 24, k: 72, bTransposed: true, withEpilogue: true }));
  cases.push(gemmCase({ spec: gemm("bf16", "bf16", "f32", false), batch: 2, m: 33, n: 17, k: 40, bTransposed: true, withEpilogue: false }));
  // Enough tiles (batch 120) that the launcher takes the 128x128 tensor-core tile.
  cases.push(gemmCase({ spec: gemm("f16", "f16", "f32", true), batch: 120, m: 9, n: 20, k: 40, bTransposed: true, withEpilogue: true }));
  if (opts.big) {
    cases.push(gemmCase({ spec: gemm("f16", "f16", "f16", true), batch: 1, m: 1500, n: 1536, k: 384, bTransposed: true, withEpilogue: true }));
    cases.push(gemmCase({ spec: gemm("f32", "f32", "f32", true), batch: 1, m: 1500, n: 384, k: 384, bTransposed: true, withEpilogue: true }));
  }

  const attnKernels = new Map<string, string>();
  const attn = (c: AttnCase) => {
    const name = `t_attn_${c.dtype}_d${c.d}`;
    if (!attnKernels.has(name)) {
      attnKernels.set(name, name);
      bodies.push(attentionSource({ name, dtype: c.dtype, d: c.d }));
    }
    cases.push(attentionCase(c, name));
  };
  attn({ name: "self", dtype: "f32", B: 1, H: 2, lq: 45, lk: 45, d: 16, causal: false, mask: false });
  attn({ name: "kv-cache", dtype: "f32", B: 2, H: 1, lq: 5, lk: 40, d: 16, causal: true, mask: false });
  attn({ name: "cross", dtype: "f16", B: 1, H: 2, lq: 3, lk: 70, d: 64, causal: false, mask: false });
  attn({ name: "masked", dtype: "f32", B: 1, H: 1, lq: 33, lk: 34, d: 16, causal: false, mask: true });
  attn({ name: "causal-square", dtype: "bf16", B: 1, H: 1, lq: 36, lk: 36, d: 16, causal: true, mask: false });
  // Flash-decoding path (lq <= 8): several key splits merged by the last block, head dims that
  // leave lanes idle (40: the second 32-lane slice is partial), with a mask and under causal.
  attn({ name: "decode-split-mask", dtype: "f32", B: 1, H: 2, lq: 2, lk: 130, d: 40, causal: false, mask: true });
  attn({ name: "decode-split-causal", dtype: "bf16", B: 2, H: 1, lq: 1, lk: 200, d: 64, causal: true, mask: false });
  attn({ name: "tile-d12", dtype: "f16", B: 1, H: 2, lq: 20, lk: 27, d: 12, causal: false, mask: false });
  attn({ name: "tile-d64-causal", dtype: "f16", B: 1, H: 1, lq: 40, lk: 50, d: 64, causal: true, mask: false });
  // Tensor-core tile path: several query tiles and key tiles, ragged edges, an additive mask.
  attn({ name: "tile-mma-mask", dtype: "f16", B: 1, H: 2, lq: 70, lk: 150, d: 32, causal: false, mask: true });
  attn({ name: "tile-mma-causal", dtype: "bf16", B: 2, H: 1, lq: 66, lk: 130, d: 64, causal: true, mask: false });
  attn({ name: "tile-mma-misaligned", dtype: "f16", B: 1, H: 1, lq: 20, lk: 70, d: 16, causal: false, mask: false, misaligned: true });
  attn({ name: "decode-one-split", dtype: "f32", B: 1, H: 1, lq: 8, lk: 20, d: 8, causal: true, mask: false });
  if (opts.big) {
    attn({ name: "encoder", dtype: "f16", B: 1, H: 6, lq: 1500, lk: 1500, d: 64, causal: false, mask: false });
    attn({ name: "decoder-step", dtype: "f16", B: 1, H: 6, lq: 1, lk: 224, d: 64, causal: true, mask: false });
  }

  for (const dt of ["f32", "f16"] as const) {
    const name = `t_ln_${dt}`;
    bodies.push(layerNormSource(name, dt, "f32"));
    for (const [rows, n] of [[5, 64], [3, 300]] as const)
      cases.push({
        name: `layer_norm ${dt} ${rows}x${n}`,
        run(dev, mod) {
          const X = randomTensor(dt, [rows, n], 31, 3), G = randomTensor("f32", [n], 32), Bt = randomTensor("f32", [n], 33);
          const [out] = withBuffers(dev, [X, G, Bt], [[dt, rows * n]], ([x, g, b], [y]) =>
            dev.launch(mod, name, [rows, 1, 1], rowBlock(n), new KernelArgs().ptr(x!).ptr(g!).ptr(b!).ptr(y!).i64(n).f32(1e-5)));
          return compare(out!, refLayerNorm(X.toFloat64Array(), G.toFloat64Array(), Bt.toFloat64Array(), rows, n, 1e-5), dt, dt === "f32" ? 1e-5 : 4e-3);
        },
      });
  }
  for (const [dt, log] of [["f32", false], ["f32", true], ["bf16", false]] as const) {
    const name = `t_softmax_${dt}_${log}`;
    bodies.push(softmaxSource(name, dt, log));
    cases.push({
      name: `${log ? "log_softmax" : "softmax"} ${dt} 4x1500`,
      run(dev, mod) {
        const rows = 4, n = 1500;
        const X = randomTensor(dt, [rows, n], 41, 6);
        const [out] = withBuffers(dev, [X], [[dt, rows * n]], ([x], [y]) =>
          dev.launch(mod, name, [rows, 1, 1], rowBlock(n), new KernelArgs().ptr(x!).ptr(y!).i64(n)));
        return compare(out!, refSoftmax(X.toFloat64Array(), rows, n, log), dt, dt === "f32" ? 1e-6 : 1e-3);
      },
    });
  }
  bodies.push(conv1dSource("t_conv1d_f32", "f32"));
  for (const [stride, pad, act] of [[1, 1, 0], [2, 1, 1]] as const)
    cases.push({
      name: `conv1d f32 stride ${stride} pad ${pad}${act ? " gelu" : ""}`,
      run(dev, mod) {
        const Bn = 2, cin = 5, cout = 6, lin = 37, ks = 3;
        const X = randomTensor("f32", [Bn, cin, lin], 51), W = randomTensor("f32", [cout, cin, ks], 52), Bi = randomTensor("f32", [cout], 53);
        const { y, lout } = refConv1d(X.toFloat64Array(), W.toFloat64Array(), Bi.toFloat64Array(), Bn, cin, cout, lin, ks, stride, pad, 1);
        if (act) for (let i = 0; i < y.length; i++) y[i] = gelu(y[i]!);
        const [out] = withBuffers(dev, [X, W, Bi], [["f32", Bn * cout * lout]], ([x, w, b], [o]) => {
          const { grid, block } = conv1dLaunch(Bn, cout, lout);
          dev.launch(mod, "t_conv1d_f32", grid, block, new KernelArgs().ptr(x!).ptr(w!).ptr(b!).ptr(o!)
            .i64(Bn).i64(cin).i64(cout).i64(lin).i64(lout).i64(ks).i64(stride).i64(pad).i64(1).i32(act));
        });
        return compare(out!, y, "f32", 1e-5);
      },
    });
  return { source: translationUnit(bodies), cases };
}
