// The graph op suite through the whole CUDA backend (plan -> CUDA printer -> executable), on
// the CPU harness everywhere and on the GPU where there is one; each case against interpret().

import { beforeAll, describe, expect, it } from "vitest";
import { type OpCaseResult, opSuite, runOpSuite } from "./testing/op-suite.js";
import { cudaProbe } from "./probe.js";
import { compileHostAsync } from "./compile.js";
import { nativeAddon, addonError } from "./native.js";

const names = opSuite().cases.map((c) => c.name);
const gpuWhy = cudaProbe();
if (gpuWhy) console.warn(`[cuda-backend] GPU op suite skipped: ${gpuWhy}`);
if (!nativeAddon()) console.warn(`[cuda-backend] harness op suite skipped: ${addonError()}`);

for (const target of ["host", "gpu"] as const) {
  const skip = target === "gpu" ? gpuWhy !== null : !nativeAddon();
  describe.skipIf(skip)(`op suite on the ${target === "host" ? "CPU harness" : "GPU"}`, () => {
    let results: Map<string, OpCaseResult>;
    beforeAll(async () => {
      if (target === "host") await compileHostAsync(opSuite().source());
      const r = await runOpSuite(target);
      results = new Map(r.cases.map((c) => [c.name, c]));
      const compileError = results.get("compile");
      if (compileError) throw new Error(compileError.error);
    });
    for (const name of names)
      it(name, () => {
        const r = results.get(name);
        expect(r, `no result for ${name}`).toBeDefined();
        expect(r!.error ?? "").toBe("");
        expect(r!.worst ?? "").toBe("");
        expect(r!.ok).toBe(true);
      });
  });
}
