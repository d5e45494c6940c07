// The library kernels (GEMM, attention, layer_norm, softmax, conv1d) against float64 references:
// through the CPU harness (the same CUDA source, built with g++ and run on host fibers) and,
// where there is one, on the GPU with Whisper-tiny-sized shapes added.

import { beforeAll, describe, expect, it } from "vitest";
import { compileHostAsync } from "./compile.js";
import { librarySuite } from "./testing/library-suite.js";
import { CudaDevice, HostDevice, type KernelDevice, type LoadedModule } from "./runtime/device.js";
import { nativeAddon, addonError } from "./native.js";
import { cudaProbe } from "./probe.js";

const addon = nativeAddon();
if (!addon) console.warn(`[cuda-backend] harness tests skipped: ${addonError()}`);
const gpuWhy = cudaProbe();
if (gpuWhy) console.warn(`[cuda-backend] GPU library kernels skipped: ${gpuWhy}`);

for (const target of ["host", "gpu"] as const) {
  const skip = target === "host" ? !addon : gpuWhy !== null;
  describe.skipIf(skip)(`library kernels on the ${target === "host" ? "CPU harness" : "GPU"}`, () => {
    const suite = librarySuite({ big: target === "gpu" });
    let dev: KernelDevice | undefined;
    let mod: LoadedModule | undefined;
    const ready = () => {
      dev ??= target === "host" ? new HostDevice() : new CudaDevice();
      mod ??= dev.loadModule(suite.source);
      return [dev, mod] as const;
    };
    // Build off the event loop first (the synchronous path then hits the cache).
    beforeAll(async () => {
      if (target === "host") await compileHostAsync(suite.source);
    });
    for (const c of suite.cases)
      it(c.name, () => {
        const [d, m] = ready();
        const r = c.run(d, m);
        expect(r.worst).toBe("");
        expect(r.ok).toBe(true);
      }, 300_000);
  });
}
