// Every kernel the Whisper graphs generate (encoder, cross-attention K/V, decoder variants, at
// whisper-tiny.en widths, f32 and f16 weights) prints and compiles with nvcc for sm_80 and sm_90.
// One layer each: every layer prints the same kernels, and nvcc time is the test's whole cost.
// Lives in scripts/ because it joins two packages that must not depend on each other.

import { describe, expect, it } from "vitest";
import { optimize } from "../../packages/graph/src/index.js";
import { buildPlan } from "../../packages/graph/src/plan/index.js";
import { CUDA_PRELUDE, printPlan } from "../../packages/cuda-backend/src/codegen/printer.js";
import { compileFatbin, findNvcc } from "../../packages/cuda-backend/src/compile.js";
import { buildCrossKV, buildDecoder, buildEncoder, type WhisperDims } from "../../packages/whisper/src/model/index.js";

const TINY: WhisperDims = {
  nMels: 80, nAudioCtx: 1500, nAudioState: 384, nAudioHead: 6, nAudioLayer: 1,
  nVocab: 51864, nTextCtx: 448, nTextState: 384, nTextHead: 6, nTextLayer: 1,
};

const nvcc = findNvcc();
if (!nvcc) console.warn("[gpu scripts] Whisper kernel compile test skipped: nvcc not found");

describe.skipIf(!nvcc)("Whisper graphs on the CUDA printer", () => {
  it("compile with nvcc for sm_80 and sm_90", async () => {
    const bodies: string[] = [];
    let kernels = 0;
    for (const wdtype of ["f32", "f16"] as const) {
      const graphs = [
        buildEncoder(TINY, { wdtype }), buildCrossKV(TINY, { wdtype }),
        buildDecoder(TINY, { cache: false, lastOnly: false }, { wdtype }),
        buildDecoder(TINY, { cache: true, lastOnly: true }, { wdtype }),
      ];
      graphs.forEach((g, i) => {
        const opt = optimize(g);
        const printed = printPlan(buildPlan(opt, { backend: "cuda" }), { prefix: `w${wdtype}${i}_` });
        kernels += printed.kernels.length;
        bodies.push(printed.body);
      });
    }
    expect(kernels).toBeGreaterThan(30);
    const fatbin = await compileFatbin(CUDA_PRELUDE + bodies.join("\n"), ["sm_80", "sm_90"]);
    expect(new DataView(fatbin.buffer, fatbin.byteOffset).getUint32(0, true)).toBe(0xba55ed50);
  }, 900_000);
});
