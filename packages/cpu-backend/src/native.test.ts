// Tests of the cpu-backend native addon through src/native.ts: GEMM and attention against naive
// float64 JS loops, every ISA path this CPU has, thread-count determinism, and the generated
// library path (dlopen, ABI check, mw_run, epilogue, parallel_for) with small g++-built libraries.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AttentionOptions, type CpuIsa, type SgemmOptions, NATIVE_ADDON_PATH, dimsArray, loadNative } from "./native.js";
import { Tensor, seededRandom as rng } from "@max-whisper/graph";

const N = loadNative();
const INCLUDE_DIR = fileURLToPath(new URL("../native/include", import.meta.url));
const ISAS: CpuIsa[] = ["generic", "avx2", "avx512"];
const INFO = N.cpuInfo();
const supported = (isa: CpuIsa) => ISAS.indexOf(isa) <= ISAS.indexOf(INFO.bestIsa);

function randn(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

/** Decodes IEEE half bits independently of the addon (used as the reference for f16 B). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
function bf16ToNumber(h: number): number {
  return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
}
/** Random f16 bits around [-2, 2], some subnormal; random bf16 bits from random floats. */
function randHalfBits(n: number, seed: number, dtype: "f16" | "bf16"): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(n);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    if (dtype === "f16") {
      const exp = i % 23 === 0 ? 0 : 8 + Math.floor(r() * 8); // some subnormals
      out[i] = (r() < 0.5 ? 0x8000 : 0) | (exp << 10) | Math.floor(r() * 1024);
    } else {
      f[0] = r() * 4 - 2;
      out[i] = u[0] >>> 16;
    }
  }
  return out;
}

interface GemmCase {
  m: number; n: number; k: number; batch?: number;
  aStrides?: [number, number, number]; bStrides?: [number, number, number]; cStrides?: [number, number];
  bDtype?: "f32" | "f16" | "bf16"; alpha?: number;
}

/** Builds operands for a case, runs the addon, and checks every C element (and untouched padding). */
function checkGemm(cs: GemmCase, seed = 1): Float32Array {
  const { m, n, k } = cs, batch = cs.batch ?? 1, dt = cs.bDtype ?? "f32";
  const as = cs.aStrides ?? [m * k, k, 1], bs = cs.bStrides ?? [k * n, n, 1], ccs = cs.cStrides ?? [m * n, n];
  const extent = (sizes: number[], strides: number[]) => 1 + sizes.reduce((acc, s, i) => acc + (s - 1) * strides[i], 0);
  const a = randn(extent([batch, m, k], as), seed);
  const b = dt === "f32" ? randn(extent([batch, k, n], bs), seed + 1) : randHalfBits(extent([batch, k, n], bs), seed + 1, dt);
  const bval = (i: number) => (dt === "f32" ? b[i] : dt === "f16" ? halfToNumber(b[i]) : bf16ToNumber(b[i]));
  const SENTINEL = 12345.5;
  const c = new Float32Array(extent([batch, m, n], [ccs[0], ccs[1], 1])).fill(SENTINEL);
  const opts: SgemmOptions = { m, n, k, batch, a, aStrides: as, b, bDtype: dt, bStrides: bs, c, cStrides: ccs, alpha: cs.alpha };
  N.sgemm(opts);
  const alpha = cs.alpha ?? 1;
  const touched = new Uint8Array(c.length);
  let bad = 0;
  const msgs: string[] = [];
  // Very large cases check a spread of columns plus the ragged tail, to keep the JS loop short.
  const sampled = m * n * k > 4e6;
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        if (sampled && j % 17 !== 0 && j < n - 40) {
          touched[bi * ccs[0] + i * ccs[1] + j] = 1;
          continue;
        }
        let s = 0, mag = 0;
        for (let p = 0; p < k; p++) {
          const x = a[bi * as[0] + i * as[1] + p * as[2]] * bval(bi * bs[0] + p * bs[1] + j * bs[2]);
          s += x;
          mag += Math.abs(x);
        }
        const ci = bi * ccs[0] + i * ccs[1] + j;
        touched[ci] = 1;
        const ref = alpha * s, tol = 1e-5 * Math.abs(alpha) * mag + 1e-6;
        if (!(Math.abs(c[ci] - ref) <= tol) && bad++ < 4) msgs.push(`[${bi},${i},${j}] got ${c[ci]} want ${ref}`);
      }
  for (let x = 0; x < c.length; x++)
    if (!touched[x] && c[x] !== SENTINEL && bad++ < 4) msgs.push(`padding element ${x} overwritten with ${c[x]}`);
  expect(msgs, `${JSON.stringify(cs)}: ${bad} mismatches`).toEqual([]);
  return c;
}

function naiveAttention(o: AttentionOptions): Float64Array {
  const B = o.batch ?? 1, H = o.heads ?? 1, { lq, lk, d } = o, dv = o.dv ?? d;
  const qs = o.qStrides ?? [H * lq * d, lq * d, d], ks = o.kStrides ?? [H * lk * d, lk * d, d];
  const vs = o.vStrides ?? [H * lk * dv, lk * dv, dv], ms = o.maskStrides ?? [H * lq * lk, lq * lk, lk, 1];
  const scale = o.scale ?? 1 / Math.sqrt(d);
  const out = new Float64Array(B * H * lq * dv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < lq; i++) {
        const s = new Float64Array(lk);
        let mx = -Infinity;
        for (let j = 0; j < lk; j++) {
          let dot = 0;
          for (let p = 0; p < d; p++) dot += o.q[b * qs[0] + h * qs[1] + i * qs[2] + p] * o.k[b * ks[0] + h * ks[1] + j * ks[2] + p];
          s[j] = dot * scale + (o.mask ? o.mask[b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3]] : 0);
          if (o.causal && j > i + lk - lq) s[j] = -Infinity;
          mx = Math.max(mx, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < lk; j++) sum += s[j] = mx === -Infinity ? 0 : Math.exp(s[j] - mx);
        for (let c = 0; c < dv; c++) {
          let acc = 0;
          for (let j = 0; j < lk; j++) acc += s[j] * o.v[b * vs[0] + h * vs[1] + j * vs[2] + c];
          out[((b * H + h) * lq + i) * dv + c] = sum > 0 ? acc / sum : 0;
        }
      }
  return out;
}

interface AttnCase { batch?: number; heads?: number; lq: number; lk: number; d: number; dv?: number; causal?: boolean; mask?: "full" | "broadcast"; layout?: "bhld" | "blhd"; kvCap?: number; kvDtype?: "f16" | "bf16" }

/** Runs attention for a case (out written contiguously [b, h, lq, dv]) and checks it. */
function checkAttention(cs: AttnCase, seed = 7): Float32Array {
  const B = cs.batch ?? 1, H = cs.heads ?? 1, { lq, lk, d } = cs, dv = cs.dv ?? d, cap = cs.kvCap ?? lk;
  // "blhd" is the [batch, seq, heads, d] layout a transformer's projections produce.
  const strides = (l: number, w: number): [number, number, number] =>
    cs.layout === "blhd" ? [l * H * w, w, H * w] : [H * l * w, l * w, w];
  const qStrides = strides(lq, d), kStrides = strides(cap, d), vStrides = strides(cap, dv);
  const opts: AttentionOptions = {
    batch: B, heads: H, lq, lk, d, dv, causal: cs.causal, qStrides, kStrides, vStrides,
    q: randn(B * H * lq * d, seed), k: randn(B * H * cap * d, seed + 1), v: randn(B * H * cap * dv, seed + 2),
    out: new Float32Array(B * H * lq * dv).fill(NaN),
  };
  if (cs.mask === "full") {
    opts.mask = randn(B * H * lq * lk, seed + 3).map((x) => (x < -0.8 ? -Infinity : x * 3));
  } else if (cs.mask === "broadcast") {
    opts.mask = randn(lq * lk, seed + 3).map((x) => x * 2);
    opts.maskStrides = [0, 0, lk, 1];
  }
  // Half K/V: the kernel gets the raw bits, the reference the same values widened.
  const refOpts = { ...opts };
  if (cs.kvDtype) {
    const half = (x: Float32Array | Uint16Array) => Tensor.fromFloat64(cs.kvDtype!, [x.length], Float64Array.from(x as Float32Array));
    const hk = half(opts.k), hv = half(opts.v);
    Object.assign(opts, { k: hk.data, v: hv.data, kvDtype: cs.kvDtype });
    Object.assign(refOpts, { k: Float32Array.from(hk.toFloat64Array()), v: Float32Array.from(hv.toFloat64Array()) });
  }
  N.attention(opts);
  const ref = naiveAttention(refOpts);
  const msgs: string[] = [];
  for (let x = 0; x < ref.length; x++)
    if (!(Math.abs(opts.out[x] - ref[x]) <= 2e-5 + 2e-5 * Math.abs(ref[x])) && msgs.length < 4) msgs.push(`[${x}] got ${opts.out[x]} want ${ref[x]}`);
  expect(msgs, JSON.stringify(cs)).toEqual([]);
  return opts.out;
}

const GEMM_SIZES: [number, number, number][] = [
  [1, 1, 1], [3, 3, 3], [17, 17, 17], [63, 64, 65], [65, 63, 64], [64, 65, 63], [7, 33, 300], [150, 160, 384], [97, 200, 520],
];
const ATTN_CASES: AttnCase[] = [
  { lq: 37, lk: 37, d: 16, causal: true },
  { lq: 130, lk: 130, d: 64, heads: 2, causal: true, layout: "blhd" },
  { lq: 5, lk: 77, d: 64, causal: true }, // decoder steps over a cache: query i sees keys <= i + 72
  { lq: 1, lk: 70, d: 64, heads: 3, kvCap: 96 }, // one token over a kv-cache with spare capacity
  { lq: 70, lk: 150, d: 24, dv: 40, batch: 2, heads: 3, mask: "broadcast", layout: "blhd" }, // cross-attention
  { lq: 50, lk: 66, d: 8, mask: "full" },
  { lq: 9, lk: 4, d: 4, causal: true }, // lk < lq: the first rows see nothing and give 0
  // lq <= 4 takes the row path (K/V read in place): masks, causal, odd widths, empty rows.
  { lq: 2, lk: 1500, d: 64, heads: 2, layout: "blhd" }, // decoder cross-attention shape
  { lq: 3, lk: 21, d: 24, dv: 40, batch: 2, mask: "full", causal: true },
  { lq: 4, lk: 2, d: 5, causal: true }, // the first two rows see nothing
  { lq: 1, lk: 33, d: 70, mask: "broadcast" },
  // f16/bf16 K and V, widened in registers: both paths, odd widths, a cache with spare capacity.
  { lq: 1, lk: 1500, d: 64, heads: 2, layout: "blhd", kvDtype: "f16" },
  { lq: 3, lk: 70, d: 24, dv: 70, heads: 3, kvCap: 96, causal: true, kvDtype: "bf16" },
  { lq: 70, lk: 150, d: 24, dv: 40, batch: 2, heads: 3, mask: "broadcast", layout: "blhd", kvDtype: "f16" },
];

describe("cpu-backend native addon", () => {
  it("advises huge pages only for whole 2 MB extents, leaving the data intact", () => {
    const thp = (() => {
      try {
        return !/\[never\]/.test(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"));
      } catch {
        return false;
      }
    })();
    const big = new Float32Array(Buffer.allocUnsafeSlow(16 << 20).buffer);
    expect(N.adviseHugePages(big)).toBe(thp);
    big.fill(1.5);
    expect(big[0] + big[big.length - 1]!).toBe(3);
    expect(N.adviseHugePages(new Float32Array(1000))).toBe(false); // no whole 2 MB extent inside
    expect(() => N.adviseHugePages({} as Float32Array)).toThrow(/\[adviseHugePages\] expected a typed array/);
  });

  it("describes the CPU and its thread pool", () => {
    expect(INFO.cores).toBeGreaterThanOrEqual(1);
    expect(ISAS).toContain(INFO.isa);
    expect(INFO.model.length).toBeGreaterThan(0);
    expect(N.threads()).toBe(INFO.cores);
    expect(N.abiVersion).toBe(3);
    if (INFO.bestIsa === "avx2") expect(INFO.flags).toEqual(expect.arrayContaining(["avx2", "fma", "f16c"]));
  });

  it("multiplies f32 matrices of awkward sizes", () => {
    for (const [m, n, k] of GEMM_SIZES) checkGemm({ m, n, k });
  });

  it("handles a decoder-logits shaped GEMV (1 x 384 x 51864)", () => {
    checkGemm({ m: 1, n: 51864, k: 384 });
  });

  it("reads transposed, broadcast and padded operands through strides", () => {
    checkGemm({ m: 20, n: 37, k: 45, aStrides: [20 * 45, 1, 20] }); // Aᵀ stored
    checkGemm({ m: 33, n: 50, k: 70, bStrides: [50 * 70, 1, 70] }); // B = Wᵀ, W [n, k] row-major
    checkGemm({ m: 9, n: 21, k: 13, batch: 3, bStrides: [0, 21, 1], cStrides: [9 * 30, 30] }); // shared B, ldc > n
    checkGemm({ m: 5, n: 19, k: 8, batch: 2, aStrides: [0, 8, 1], bStrides: [8 * 19, 1, 8], alpha: -0.125 });
    checkGemm({ m: 4, n: 7, k: 0 }); // empty sum gives zeros
  });

  it("converts f16 and bf16 B while packing, contiguous or transposed", () => {
    for (const bDtype of ["f16", "bf16"] as const) {
      checkGemm({ m: 70, n: 45, k: 66, bDtype });
      checkGemm({ m: 3, n: 45, k: 66, bDtype, bStrides: [45 * 66, 1, 66] });
      checkGemm({ m: 31, n: 130, k: 17, bDtype, alpha: 0.5 });
    }
  });

  it("applies alpha", () => {
    checkGemm({ m: 13, n: 40, k: 29, alpha: 0.3 });
    checkGemm({ m: 130, n: 40, k: 300, alpha: -2 });
  });

  it("computes flash attention like softmax(QKᵀ·s + mask)·V", () => {
    for (const cs of ATTN_CASES) checkAttention(cs);
  });

  it("gives bit-identical results on 1 and 2 threads", () => {
    const before = N.threads();
    try {
      const run = (t: number) => {
        N.setThreads(t);
        return [
          checkGemm({ m: 150, n: 160, k: 384 }, 3), checkGemm({ m: 2, n: 3000, k: 64 }, 4),
          checkAttention({ lq: 100, lk: 100, d: 64, heads: 3, causal: true }, 5),
          checkAttention({ lq: 1, lk: 1500, d: 64, heads: 6, layout: "blhd" }, 6), // row path
        ];
      };
      const one = run(1), two = run(2);
      expect(N.threads()).toBe(2);
      one.forEach((r, i) => expect(Buffer.from(two[i].buffer).equals(Buffer.from(r.buffer))).toBe(true));
    } finally {
      N.setThreads(before);
    }
  });

  it("runs every ISA path this CPU supports", () => {
    const before = N.cpuInfo().isa;
    try {
      for (const isa of ISAS) {
        if (!supported(isa)) {
          expect(() => N.setIsa(isa)).toThrow(/\[setIsa\] .* not supported by this CPU/);
          continue;
        }
        expect(N.setIsa(isa)).toBe(isa);
        expect(N.cpuInfo().isa).toBe(isa);
        for (const [m, n, k] of [[17, 63, 65], [97, 200, 520], [1, 1000, 40]]) checkGemm({ m, n, k }, 11);
        checkGemm({ m: 40, n: 33, k: 50, bDtype: "f16", bStrides: [0, 33, 1] });
        checkGemm({ m: 40, n: 33, k: 50, bDtype: "bf16", alpha: 2 });
        // Skinny GEMMs over columns (dot_cols: f16/bf16 converted in registers, k not a multiple of 8).
        for (const bDtype of ["f32", "f16", "bf16"] as const) checkGemm({ m: 3, n: 45, k: 67, bDtype, bStrides: [45 * 67, 1, 67] }, 17);
        for (const cs of [...ATTN_CASES.slice(1, 5), ATTN_CASES[8]!, ATTN_CASES[10]!]) checkAttention(cs, 13);
      }
      expect(() => N.setIsa("sse9" as CpuIsa)).toThrow(/expected avx512, avx2 or generic, got "sse9"/);
    } finally {
      N.setIsa(before);
    }
  });

  it("honours MW_CPU_ISA in a fresh process, and rejects a bad value on load", () => {
    const probe = `console.log(require(${JSON.stringify(NATIVE_ADDON_PATH)}).cpuInfo().isa)`;
    const ok = spawnSync(process.execPath, ["-e", probe], { env: { ...process.env, MW_CPU_ISA: "generic" }, encoding: "utf8" });
    expect(ok.stdout.trim()).toBe("generic");
    const bad = spawnSync(process.execPath, ["-e", probe], { env: { ...process.env, MW_CPU_ISA: "mmx" }, encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/MW_CPU_ISA: expected avx512, avx2 or generic, got "mmx"/);
  });

  it("rejects operands too small for their strides, and bad dtypes", () => {
    const a = new Float32Array(10), b = new Float32Array(12), c = new Float32Array(6);
    expect(() => N.sgemm({ m: 2, n: 3, k: 6, a, b, c })).toThrow(/\[sgemm\] a is too small .* got length 10/);
    expect(() => N.sgemm({ m: 2, n: 3, k: 4, a, b: new Uint16Array(12), c })).toThrow(/\[sgemm\] b: bDtype f32 expects a Float32Array/);
    expect(() => N.sgemm({ m: 2, n: 3, k: 4, a: new Float32Array(8), b, bDtype: "f16", c })).toThrow(/expects a Uint16Array/);
    const q = new Float32Array(16);
    expect(() => N.attention({ lq: 4, lk: 4, d: 4, q, k: q, v: q, out: new Float32Array(15) })).toThrow(/\[attention\] out is too small/);
    expect(() => N.attention({ lq: 4, lk: 4, d: 4, q, k: q, v: q, kvDtype: "f16", out: new Float32Array(16) })).toThrow(/\[attention\] k: kvDtype f16 expects a Uint16Array of raw bits/);
  });

  it("allocates aligned external buffers and measures machine limits", () => {
    const buf = N.allocAligned(1000);
    expect(buf.byteLength).toBe(1000);
    expect(new Uint8Array(buf).every((x) => x === 0)).toBe(true);
    expect(N.peakFma(20)).toBeGreaterThan(0.1);
    expect(N.triad(1 << 20, 2)).toBeGreaterThan(0.01);
  });

  describe("generated libraries", () => {
    let dir = "";
    const lib = (name: string, src: string) => {
      const cc = join(dir, `${name}.cc`), so = join(dir, `${name}.so`);
      writeFileSync(cc, src);
      execFileSync("g++", ["-std=c++17", "-O2", "-shared", "-fPIC", `-I${INCLUDE_DIR}`, cc, "-o", so]);
      return so;
    };
    let good = "", mismatch = "", noRun = "", noSlots = "";
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "mw-native-test-"));
      // buffers: 0 A [m,k], 1 B [k,n], 2 C [m,n], 3 visits (i32 per C element), 4 info (i64),
      // 5 fill (f32 [n]), 6 probe buffer for alignment. dims: m, n, k.
      good = lib("good", `
#include "mw_runtime.h"
#include <cstdint>
struct Epi { int32_t* visits; int64_t n; };
static void epi(void* ctx, float* c, int64_t ldc, int64_t batch, int64_t r0, int64_t c0, int64_t rows, int64_t cols) {
  Epi* e = (Epi*)ctx;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++) {
      float& x = c[r * ldc + j];
      x = x > 0.f ? x : 0.f;  // fused ReLU
      x += 0.25f * (float)(c0 + j);  // fused column bias
      e->visits[(r0 + r) * e->n + c0 + j] += 1;
    }
}
static void fill(void* ctx, int64_t b, int64_t e) { float* f = (float*)ctx; for (int64_t i = b; i < e; i++) f[i] = 2.f * (float)i; }
extern "C" int32_t mw_abi_version(void) { return MW_ABI_VERSION; }
extern "C" int32_t mw_state_slots(void) { return 1; }
extern "C" void mw_run(const mw_runtime* rt, void* const* buf, const int64_t* dims, void** state) {
  int64_t m = dims[0], n = dims[1], k = dims[2];
  Epi ctx{(int32_t*)buf[3], n};
  mw_gemm_args g{};
  g.batch = 1; g.m = m; g.n = n; g.k = k;
  g.a = (const float*)buf[0]; g.a_row_stride = k; g.a_col_stride = 1;
  g.b = buf[1]; g.b_dtype = MW_F32; g.b_row_stride = n; g.b_col_stride = 1;
  g.c = (float*)buf[2]; g.ldc = n; g.alpha = 1.f; g.epi = epi; g.epi_ctx = &ctx; g.b_pack = state;
  rt->sgemm(&g);
  int64_t* info = (int64_t*)buf[4];
  info[0] = rt->abi_version; info[1] = rt->num_threads; info[2] = (int64_t)((uintptr_t)buf[6] % 64); info[3] = buf[7] == nullptr;
  rt->parallel_for(n, 16, fill, buf[5]);
}
`);
      mismatch = lib("mismatch", `#include <cstdint>\nextern "C" int32_t mw_abi_version(void) { return 999; }\nextern "C" void mw_run() {}\n`);
      noRun = lib("norun", `#include <cstdint>\nextern "C" int32_t mw_abi_version(void) { return 3; }\n`);
      noSlots = lib("noslots", `#include <cstdint>\nextern "C" int32_t mw_abi_version(void) { return 3; }\nextern "C" void mw_run() {}\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("runs mw_run with zero-copy buffers, dims, the epilogue and parallel_for", () => {
      const h = N.loadLibrary(good);
      const [m, n, k] = [70, 300, 90];
      const a = randn(m * k, 21), b = randn(k * n, 22), c = new Float32Array(m * n);
      const visits = new Int32Array(m * n), info = new BigInt64Array(4), fill = new Float32Array(n);
      const arena = N.allocAligned(4096);
      N.runLibrary(h, [a, b, c, visits, info, fill, new Float32Array(arena, 64, 8), null], dimsArray([m, n, k]));
      expect(Array.from(info)).toEqual([3n, BigInt(N.threads()), 0n, 1n]);
      expect(visits.every((v) => v === 1)).toBe(true); // every C element finished exactly once
      expect(Array.from(fill)).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0, mag = 0;
          for (let p = 0; p < k; p++) (s += a[i * k + p] * b[p * n + j]), (mag += Math.abs(a[i * k + p] * b[p * n + j]));
          const want = Math.max(s, 0) + 0.25 * j;
          if (Math.abs(c[i * n + j] - want) > 1e-5 * mag + 1e-5) expect.fail(`C[${i},${j}] = ${c[i * n + j]}, want ${want}`);
        }
      // dims as a Float64Array work too
      N.runLibrary(h, [a, b, c, visits, info, fill, arena, null], new Float64Array([m, n, k]));
      expect(visits.every((v) => v === 2)).toBe(true);
      N.unloadLibrary(h);
      expect(() => N.runLibrary(h, [], dimsArray([]))).toThrow(/was unloaded/);
    });

    it("keeps B packed in the caller's state slot from the first run on, until released", () => {
      const h = N.loadLibrary(good);
      expect(N.stateSlots(h)).toBe(1);
      const [m, n, k] = [70, 300, 90];
      const a = randn(m * k, 23), b = randn(k * n, 24);
      const run = (bm: Float32Array, state: ArrayBuffer | null) => {
        const c = new Float32Array(m * n);
        N.runLibrary(h, [a, bm, c, new Int32Array(m * n), new BigInt64Array(4), new Float32Array(n), null, null], dimsArray([m, n, k]), state);
        return c;
      };
      const plain = run(b, null);
      const state = N.allocState(1);
      const before = N.packedBytes();
      expect(run(b, state)).toEqual(plain); // packs, then computes from the packed panel
      const kept = N.packedBytes() - before;
      expect(kept).toBeGreaterThanOrEqual(n * k * 4);
      expect(kept).toBeLessThan((n + 32) * k * 4 + 4096);
      expect(run(b, state)).toEqual(plain);
      // The panel is reused, not rebuilt: a change to B's contents after the first run is not
      // seen (which is why only weights and constants get a slot), while another B is packed anew.
      const b2 = b.map((x) => -x);
      b.set(b2);
      expect(run(b, state)).toEqual(plain);
      expect(run(b2, state)).toEqual(run(b2, null));
      expect(N.packedBytes() - before).toBe(kept);
      N.releaseState(state);
      expect(N.packedBytes()).toBe(before);
      expect(() => run(b, N.allocState(0))).toThrow(/\[runLibrary\] state: .*good\.so needs 1 slots, got a buffer of 0 bytes/);
      expect(() => N.allocState(-1)).toThrow(/\[allocState\] slots: expected a whole number/);
      N.unloadLibrary(h);
    });

    it("caps kept panels by MW_CPU_PACKED_MB in a fresh process, and rejects a bad value on load", () => {
      // One packed run of the good library (m 70, n 300, k 90) in a child, reporting packedBytes.
      const script = `const N = require(${JSON.stringify(NATIVE_ADDON_PATH)});
const h = N.loadLibrary(${JSON.stringify(good)}), st = N.allocState(1), m = 70, n = 300, k = 90;
N.runLibrary(h, [new Float32Array(m * k), new Float32Array(k * n), new Float32Array(m * n), new Int32Array(m * n),
  new BigInt64Array(4), new Float32Array(n), null, null], new Float64Array([m, n, k]), st);
console.log(N.packedBytes());`;
      const packed = (mb: string) => spawnSync(process.execPath, ["-e", script], { env: { ...process.env, MW_CPU_PACKED_MB: mb }, encoding: "utf8" });
      expect(Number(packed("64").stdout)).toBeGreaterThanOrEqual(300 * 90 * 4);
      expect(packed("0").stdout.trim()).toBe("0");
      const bad = packed("lots");
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/MW_CPU_PACKED_MB: expected a whole number of MiB, got "lots"/);
    });

    it("refuses libraries with another ABI version, missing symbols or bad paths", () => {
      expect(() => N.loadLibrary(mismatch)).toThrow(/ABI version mismatch in .*mismatch\.so: expected 3, got 999/);
      expect(() => N.loadLibrary(noRun)).toThrow(/norun\.so does not export mw_run/);
      expect(() => N.loadLibrary(noSlots)).toThrow(/noslots\.so does not export mw_state_slots/);
      expect(() => N.loadLibrary(join(dir, "missing.so"))).toThrow(/\[loadLibrary\] cannot load .*missing\.so: .*No such file/);
    });

    it("rejects buffers that are not typed arrays", () => {
      const h = N.loadLibrary(good);
      expect(() => N.runLibrary(h, [{} as unknown as ArrayBuffer], dimsArray([1, 1, 1]))).toThrow(/\[runLibrary\] buffers\[0\]: expected a TypedArray/);
      expect(() => dimsArray([1.5])).toThrow(/dims\[0\]: expected an integer/);
    });
  });
});
