// Every kernel the op suite and the library suite generate compiles with nvcc for sm_80 and
// sm_90 (one translation unit, one nvcc call for both archs; cached on disk between runs), and
// the tensor-core path really emits mma.sync.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Graph, TensorType, ops, optimize } from "@max-whisper/graph";
import { buildPlan } from "@max-whisper/graph/plan";
import { compileFatbin, findNvcc, includeDir, NVCC_FLAGS } from "./compile.js";
import { cudaSource } from "./backend.js";
import { printPlan } from "./codegen/printer.js";
import { gemmSource, translationUnit } from "./codegen/library.js";
import { librarySuite } from "./testing/library-suite.js";
import { opSuite } from "./testing/op-suite.js";

const execFileAsync = promisify(execFile);
const nvcc = findNvcc();
if (!nvcc) console.warn("[cuda-backend] nvcc tests skipped: nvcc is not on PATH, in $CUDA_HOME/bin or /usr/local/cuda/bin");

describe.skipIf(!nvcc)("nvcc", () => {
  it("compiles every generated kernel for sm_80 and sm_90", async () => {
    const body = (s: string) => s.replace('#include "mw_cuda.cuh"', "");
    const source = [librarySuite().source, body(opSuite().source())].join("\n");
    const fatbin = await compileFatbin(source, ["sm_80", "sm_90"]);
    // A fatbin starts with its magic 0xBA55ED50 (little endian).
    expect(new DataView(fatbin.buffer, fatbin.byteOffset).getUint32(0, true)).toBe(0xba55ed50);
    expect(fatbin.byteLength).toBeGreaterThan(10_000);
  }, 900_000);

  it("lowers the f16 and bf16 GEMMs to mma.sync on sm_80", async () => {
    // A graph with f16 weights and f32 activations (Whisper's f16 mode) takes the tensor cores too.
    const g = new Graph("mixed", [new TensorType("f32", ["m", 64])]);
    g.output(ops.matmul(g.inputs[0]!, ops.cast(g.weight("w", new TensorType("f16", [64, 40])), "f32")));
    const mixed = cudaSource(g);
    expect(mixed).toMatch(/mw_gemm_tc\(A_, B_/);
    // And f32 attention printed with halfAttention: the f16 tensor-core tiles.
    const ga = new Graph("mixed_attn", ["q", "k", "v"].map(() => new TensorType("f32", [1, 2, "n", 32])));
    ga.output(ops.scaled_dot_product_attention(ga.inputs[0]!, ga.inputs[1]!, ga.inputs[2]!));
    const attn = printPlan(buildPlan(optimize(ga), { backend: "cuda" }), { prefix: "attn_", halfAttention: true }).body;
    expect(attn).toMatch(/mw_attention<float, 32, mw_f16>\(/);
    expect(mixed).toMatch(/const float\* A_ = .*const mw_f16\* B_ = /s);
    const src = translationUnit([
      gemmSource({ name: "probe_f16", ta: "f16", tb: "f16", tc: "f16" }),
      gemmSource({ name: "probe_bf16", ta: "bf16", tb: "bf16", tc: "f32" }),
    ]) + mixed.replace('#include "mw_cuda.cuh"', "") + attn;
    const dir = mkdtempSync(join(tmpdir(), "mw-ptx-"));
    try {
      writeFileSync(join(dir, "k.cu"), src);
      await execFileAsync(nvcc!, ["-ptx", "-arch=sm_80", ...NVCC_FLAGS, "-I", includeDir(), join(dir, "k.cu"), "-o", join(dir, "k.ptx")]);
      const ptx = readFileSync(join(dir, "k.ptx"), "utf8");
      expect(ptx).toMatch(/mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.f16\.f16\.f32/);
      expect(ptx).toMatch(/mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.bf16\.bf16\.f32/);
      // The mixed kernel: f32 activations rounded to f16 on their way to the tensor cores.
      const attnAt = ptx.search(/\.entry attn_k\d+_/);
      expect(attnAt).toBeGreaterThan(0);
      const attnPtx = ptx.slice(attnAt);
      expect(attnPtx).toMatch(/cvt\.rn\.f16\.f32/);
      expect(attnPtx).toMatch(/mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.f16\.f16\.f32/);
      const mixedPtx = ptx.slice(ptx.search(/\.entry k\d+_/), attnAt);
      expect(mixedPtx.length).toBeGreaterThan(0);
      expect(mixedPtx).toMatch(/cvt\.rn\.f16\.f32/);
      expect(mixedPtx).toMatch(/mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.f16\.f16\.f32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
