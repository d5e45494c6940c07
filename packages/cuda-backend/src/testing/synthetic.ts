// Whisper-shaped kernel sequences built from the library kernels alone (not through the graph
// compiler): the encoder over a 30 s window and one decoder step over a kv-cache, with random
// weights, in f16. Used to time the kernels in the order a real model runs them, and to
// exercise CUDA-graph capture of a decoder step. Simplifications (said in the report): the
// conv output is read through strides instead of being transposed, positional embeddings and
// the kv-cache append are left out.

import type { DType } from "@max-whisper/graph";
import {
  attentionLaunch, attentionSource, conv1dLaunch, conv1dSource, gemmLaunch, gemmSource, i64Param,
  layerNormSource, ptrParam, rowBlock, translationUnit, type GemmSpec,
} from "../codegen/library.js";
import { KernelArgs } from "../runtime/args.js";
import type { KernelDevice, LoadedModule } from "../runtime/device.js";
import { randomTensor } from "./reference.js";

export interface WhisperDims {
  d: number; heads: number; ffn: number; layers: number; mels: number; frames: number; vocab: number; kv: number;
}
export const WHISPER_TINY: WhisperDims = { d: 384, heads: 6, ffn: 1536, layers: 4, mels: 80, frames: 3000, vocab: 51864, kv: 224 };

const T: DType = "f16";
const G = (name: string, tc: DType, body?: string, withRes = false): GemmSpec => ({
  name, ta: T, tb: T, tc,
  epilogue: body ? { params: [ptrParam("bias", "f32"), ...(withRes ? [ptrParam("res", T), i64Param("res_rs")] : [])], body } : undefined,
});
const SPECS = {
  bias: G("syn_gemm_bias", T, "return acc + mw_ld(bias + j);"),
  gelu: G("syn_gemm_bias_gelu", T, "return mw_gelu(acc + mw_ld(bias + j));"),
  res: G("syn_gemm_bias_res", T, "return acc + mw_ld(bias + j) + mw_ld(res + i * res_rs + j);", true),
  logits: G("syn_gemm_logits", "f32"),
};

export function syntheticSource(): string {
  return translationUnit([
    ...Object.values(SPECS).map(gemmSource),
    attentionSource({ name: "syn_attn", dtype: T, d: 64 }),
    layerNormSource("syn_ln", T, "f32"),
    conv1dSource("syn_conv", T),
  ]);
}

export interface Pipeline {
  /** Enqueue one forward pass (no sync). */
  run(): void;
  readonly launches: number;
  dispose(): void;
}

class Builder {
  private readonly allocs: bigint[] = [];
  readonly steps: (() => void)[] = [];
  private seed = 100;
  constructor(readonly dev: KernelDevice, readonly mod: LoadedModule) {}
  buf(dtype: DType, shape: number[], scale = 0.05): bigint {
    const t = randomTensor(dtype, shape, this.seed++, scale);
    const p = this.dev.alloc(t.byteLength);
    this.dev.upload(p, t.data);
    this.allocs.push(p);
    return p;
  }
  gemm(spec: GemmSpec, a: bigint, b: bigint, c: bigint, m: number, n: number, k: number, aRowStride: number, extra: (args: KernelArgs) => void) {
    const { grid, block } = gemmLaunch(spec, 1, m, n);
    this.steps.push(() => {
      const args = new KernelArgs().ptr(a).ptr(b).ptr(c).i64(1).i64(m).i64(n).i64(k)
        .i64(0).i64(aRowStride).i64(1).i64(0).i64(1).i64(k).i64(0).i64(n).f32(1);
      extra(args);
      this.dev.launch(this.mod, spec.name, grid, block, args);
    });
  }
  ln(x: bigint, y: bigint, rows: number, n: number, g: bigint, b: bigint) {
    this.steps.push(() => this.dev.launch(this.mod, "syn_ln", [rows, 1, 1], rowBlock(n), new KernelArgs().ptr(x).ptr(g).ptr(b).ptr(y).i64(n).f32(1e-5)));
  }
  /** Heads read from row-major [rows, row_stride] buffers at a column offset (q/k/v inside qkv). */
  attn(q: bigint, qrs: number, k: bigint, krs: number, v: bigint, vrs: number, o: bigint, lq: number, lk: number, heads: number, causal: boolean) {
    const { grid, block } = attentionLaunch(1, heads, lq, lk, 64, T);
    this.steps.push(() => this.dev.launch(this.mod, "syn_attn", grid, block, new KernelArgs().ptr(q).ptr(k).ptr(v).ptr(o).ptr(0n)
      .i64(heads).i64(lq).i64(lk).i64(0).i64(64).i64(qrs).i64(0).i64(64).i64(krs).i64(0).i64(64).i64(vrs)
      .i64(0).i64(64).i64(heads * 64).i64(0).i64(0).i64(0).i64(0).f32(1 / 8).i32(causal ? 1 : 0)));
  }
  pipeline(): Pipeline {
    const steps = [...this.steps];
    return {
      run: () => { for (const s of steps) s(); },
      launches: steps.length,
      dispose: () => { for (const p of this.allocs) this.dev.free(p); },
    };
  }
}

const off = (p: bigint, elems: number) => p + BigInt(elems * 2);

/** Encoder: conv stem, `layers` pre-norm blocks, final layer norm; tokens = frames / 2. */
export function syntheticEncoder(dev: KernelDevice, mod: LoadedModule, dims: WhisperDims = WHISPER_TINY): Pipeline {
  const b = new Builder(dev, mod);
  const { d, ffn, heads, mels, frames } = dims, n = frames / 2;
  const mel = b.buf(T, [mels, frames], 1), c1 = b.buf(T, [d, frames]), x = b.buf(T, [d * n]);
  const w1 = b.buf(T, [d, mels, 3]), b1 = b.buf(T, [d]), w2 = b.buf(T, [d, d, 3]), b2 = b.buf(T, [d]);
  const conv = (inp: bigint, w: bigint, bias: bigint, out: bigint, cin: number, lin: number, stride: number) => {
    const lout = Math.floor((lin + 2 - 3) / stride) + 1;
    const { grid, block } = conv1dLaunch(1, d, lout);
    b.steps.push(() => dev.launch(mod, "syn_conv", grid, block, new KernelArgs().ptr(inp).ptr(w).ptr(bias).ptr(out)
      .i64(1).i64(cin).i64(d).i64(lin).i64(lout).i64(3).i64(stride).i64(1).i64(1).i32(1)));
  };
  conv(mel, w1, b1, c1, mels, frames, 1);
  conv(c1, w2, b2, x, d, frames, 2);
  const h = b.buf(T, [n, d]), qkv = b.buf(T, [n, 3 * d]), o = b.buf(T, [n, d]), up = b.buf(T, [n, ffn]);
  for (let l = 0; l < dims.layers; l++) {
    const g1 = b.buf("f32", [d], 1), be1 = b.buf("f32", [d]), wqkv = b.buf(T, [3 * d, d]), bqkv = b.buf("f32", [3 * d]);
    const wo = b.buf(T, [d, d]), bo = b.buf("f32", [d]), g2 = b.buf("f32", [d], 1), be2 = b.buf("f32", [d]);
    const wu = b.buf(T, [ffn, d]), bu = b.buf("f32", [ffn]), wd = b.buf(T, [d, ffn]), bd = b.buf("f32", [d]);
    b.ln(x, h, n, d, g1, be1);
    b.gemm(SPECS.bias, h, wqkv, qkv, n, 3 * d, d, d, (a) => a.ptr(bqkv));
    b.attn(qkv, 3 * d, off(qkv, d), 3 * d, off(qkv, 2 * d), 3 * d, o, n, n, heads, false);
    b.gemm(SPECS.res, o, wo, x, n, d, d, d, (a) => a.ptr(bo).ptr(x).i64(d));
    b.ln(x, h, n, d, g2, be2);
    b.gemm(SPECS.gelu, h, wu, up, n, ffn, d, d, (a) => a.ptr(bu));
    b.gemm(SPECS.res, up, wd, x, n, d, ffn, ffn, (a) => a.ptr(bd).ptr(x).i64(d));
  }
  const gf = b.buf("f32", [d], 1), bf = b.buf("f32", [d]);
  b.ln(x, h, n, d, gf, bf);
  return b.pipeline();
}

/** One decoder step for one token: self-attention over `kv` cached keys, cross-attention over the encoder, logits. */
export function syntheticDecoderStep(dev: KernelDevice, mod: LoadedModule, dims: WhisperDims = WHISPER_TINY): Pipeline {
  const b = new Builder(dev, mod);
  const { d, ffn, heads, vocab, kv } = dims, n = dims.frames / 2;
  const x = b.buf(T, [d], 1), h = b.buf(T, [d]), qkv = b.buf(T, [3 * d]), o = b.buf(T, [d]), q = b.buf(T, [d]), up = b.buf(T, [ffn]);
  for (let l = 0; l < dims.layers; l++) {
    const kc = b.buf(T, [kv, d], 1), vc = b.buf(T, [kv, d], 1), ke = b.buf(T, [n, d], 1), ve = b.buf(T, [n, d], 1);
    const ln = () => [b.buf("f32", [d], 1), b.buf("f32", [d])] as const;
    const [g1, be1] = ln(), [g2, be2] = ln(), [g3, be3] = ln();
    const wqkv = b.buf(T, [3 * d, d]), bqkv = b.buf("f32", [3 * d]), wo = b.buf(T, [d, d]), bo = b.buf("f32", [d]);
    const wq = b.buf(T, [d, d]), bq = b.buf("f32", [d]), wco = b.buf(T, [d, d]), bco = b.buf("f32", [d]);
    const wu = b.buf(T, [ffn, d]), bu = b.buf("f32", [ffn]), wd = b.buf(T, [d, ffn]), bd = b.buf("f32", [d]);
    b.ln(x, h, 1, d, g1, be1);
    b.gemm(SPECS.bias, h, wqkv, qkv, 1, 3 * d, d, d, (a) => a.ptr(bqkv));
    b.attn(qkv, 3 * d, kc, d, vc, d, o, 1, kv, heads, true);
    b.gemm(SPECS.res, o, wo, x, 1, d, d, d, (a) => a.ptr(bo).ptr(x).i64(d));
    b.ln(x, h, 1, d, g2, be2);
    b.gemm(SPECS.bias, h, wq, q, 1, d, d, d, (a) => a.ptr(bq));
    b.attn(q, d, ke, d, ve, d, o, 1, n, heads, false);
    b.gemm(SPECS.res, o, wco, x, 1, d, d, d, (a) => a.ptr(bco).ptr(x).i64(d));
    b.ln(x, h, 1, d, g3, be3);
    b.gemm(SPECS.gelu, h, wu, up, 1, ffn, d, d, (a) => a.ptr(bu));
    b.gemm(SPECS.res, up, wd, x, 1, d, ffn, ffn, (a) => a.ptr(bd).ptr(x).i64(d));
  }
  const gf = b.buf("f32", [d], 1), bf = b.buf("f32", [d]), emb = b.buf(T, [vocab, d]), logits = b.buf("f32", [vocab]);
  b.ln(x, h, 1, d, gf, bf);
  b.gemm(SPECS.logits, h, emb, logits, 1, vocab, d, d, () => undefined);
  return b.pipeline();
}
