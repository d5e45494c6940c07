// The CPU harness itself (warp shuffles, shared memory, barriers, deadlock detection), the
// compile cache, the availability probe and auto fallback, and the executable's arena reuse,
// device tensors and graph replay.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnyTensor, type DeviceTensor, BackendUnavailableError, Graph, Tensor, TensorType, compile, interpret, isDeviceTensor, ops, resolveBackend } from "@max-whisper/graph";
import { compileCuda, cudaProbe } from "./index.js";
import { compileHost, compileHostAsync, compileStats } from "./compile.js";
import { KernelArgs } from "./runtime/args.js";
import { HostDevice, type LoadedModule } from "./runtime/device.js";
import { addonError, nativeAddon } from "./native.js";
import { compare, randomTensor } from "./testing/reference.js";

const addon = nativeAddon();
if (!addon) console.warn(`[cuda-backend] harness tests skipped: ${addonError()}`);

const SOURCE = `#include "mw_cuda.cuh"
extern "C" __global__ void shfl_test(int* out) {
  const int v = threadIdx.x * 10;
  out[threadIdx.x * 4 + 0] = __shfl_xor_sync(0xffffffffu, v, 5);
  out[threadIdx.x * 4 + 1] = __shfl_down_sync(0xffffffffu, v, 3);
  out[threadIdx.x * 4 + 2] = __shfl_up_sync(0xffffffffu, v, 2);
  out[threadIdx.x * 4 + 3] = __shfl_sync(0xffffffffu, v, 7, 16);
}
MW_EXPORT(shfl_test)
extern "C" __global__ void smem_reverse(const float* x, float* out) {
  __shared__ float s[128];
  const long long i = blockIdx.x * 128 + threadIdx.x;
  s[threadIdx.x] = x[i];
  __syncthreads();
  out[i] = s[127 - threadIdx.x] + (float)blockIdx.x;
}
MW_EXPORT(smem_reverse)
extern "C" __global__ void divergent(int* out) {
  int v = threadIdx.x;
  if (threadIdx.x == 0) __syncthreads();
  else v = __shfl_xor_sync(0xffffffffu, v, 1);
  out[threadIdx.x] = v;
}
MW_EXPORT(divergent)
`;

describe.skipIf(!addon)("CPU harness semantics", () => {
  const dev = addon ? new HostDevice() : undefined!;
  let mod: LoadedModule;
  beforeAll(async () => {
    await compileHostAsync(SOURCE);
    mod = dev.loadModule(SOURCE);
  });
  afterAll(() => dev?.dispose());

  it("implements __shfl_xor/down/up/idx with CUDA's lane rules", () => {
    const n = 64, out = dev.alloc(n * 4 * 4);
    dev.launch(mod, "shfl_test", [1, 1, 1], [n, 1, 1], new KernelArgs().ptr(out));
    const got = new Int32Array(n * 4);
    dev.download(got, out);
    for (let t = 0; t < n; t++) {
      const lane = t & 31, base = t - lane;
      const want = [
        (base + (lane ^ 5)) * 10,
        (lane + 3 < 32 ? t + 3 : t) * 10,
        (lane >= 2 ? t - 2 : t) * 10,
        (base + (lane & ~15) + 7) * 10,
      ];
      expect([...got.subarray(t * 4, t * 4 + 4)], `thread ${t}`).toEqual(want);
    }
  });

  it("shares __shared__ memory within a block across __syncthreads", () => {
    const x = randomTensor("f32", [3 * 128], 5);
    const px = dev.alloc(x.byteLength), po = dev.alloc(x.byteLength);
    dev.upload(px, x.data);
    dev.launch(mod, "smem_reverse", [3, 1, 1], [128, 1, 1], new KernelArgs().ptr(px).ptr(po));
    const got = new Float32Array(3 * 128);
    dev.download(got, po);
    const xs = x.data as Float32Array;
    for (let b = 0; b < 3; b++)
      for (let t = 0; t < 128; t++) expect(got[b * 128 + t]).toBe(Math.fround(xs[b * 128 + 127 - t]! + b));
  });

  it("reports a barrier that can never complete instead of hanging", () => {
    const out = dev.alloc(32 * 4);
    expect(() => dev.launch(mod, "divergent", [1, 1, 1], [32, 1, 1], new KernelArgs().ptr(out))).toThrow(/deadlock in block \(0,0,0\)/);
  });
});

describe.skipIf(!addon)("compile cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "mw-cache-"));
  const saved = process.env.MAX_WHISPER_CACHE;
  process.env.MAX_WHISPER_CACHE = dir;
  afterAll(() => {
    if (saved === undefined) delete process.env.MAX_WHISPER_CACHE;
    else process.env.MAX_WHISPER_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  const src = `#include "mw_cuda.cuh"\nextern "C" __global__ void k0_one(float* o) { o[threadIdx.x] = 1.f; }\nMW_EXPORT(k0_one)\n`;

  it("hits on the same source, misses on a different one, and rebuilds a corrupt entry", () => {
    const m0 = compileStats.misses;
    const a = compileHost(src);
    expect(a.startsWith(join(dir, "cuda", "host"))).toBe(true);
    expect(compileStats.misses).toBe(m0 + 1);
    const h0 = compileStats.hits;
    expect(compileHost(src)).toBe(a);
    expect(compileStats.hits).toBe(h0 + 1);
    const b = compileHost(src.replace("1.f", "2.f"));
    expect(b).not.toBe(a);
    writeFileSync(a, "garbage");
    const again = compileHost(src);
    expect(again).toBe(a);
    expect(compileStats.misses).toBe(m0 + 3);
    expect(readFileSync(again).subarray(1, 4).toString()).toBe("ELF");
    expect(existsSync(`${a}.sha256`)).toBe(true);
  }, 120_000);
});

describe("availability", () => {
  const why = cudaProbe();
  it("names the missing piece in one sentence, and device 'auto' falls back", async () => {
    if (why === null) {
      console.warn("[cuda-backend] a GPU is present: the unavailable path is not exercised here");
      return;
    }
    expect(why).toMatch(/^(no NVIDIA driver: |no GPU: |no nvcc: |the cuda-backend native addon)/);
    expect(why.split(/\.\s/).length).toBe(1);
    const g = new Graph("probe", [new TensorType("f32", [2])]);
    g.output(ops.exp(g.inputs[0]!));
    await expect(compile(g, { device: "cuda" })).rejects.toThrow(BackendUnavailableError);
    await expect(compile(g, { device: "cuda" })).rejects.toThrow(why);
    expect((await resolveBackend("auto")).name).not.toBe("cuda");
  });
});

describe.skipIf(!addon)("executable on the harness", () => {
  it("reuses one arena across runs and grows it only for larger shapes", async () => {
    const g = new Graph("arena", [new TensorType("f32", ["n", 16]), new TensorType("f32", [16, 8])]);
    g.output(ops.softmax(ops.relu(ops.matmul(g.inputs[0]!, g.inputs[1]!))));
    const exe = compileCuda(g, new Map(), { target: "host" });
    try {
      const w = randomTensor("f32", [16, 8], 2);
      for (const n of [5, 5, 3, 40]) {
        const x = randomTensor("f32", [n, 16], n);
        const [got] = await exe.execute(x, w);
        const [want] = interpret(g, [x, w]);
        expect(got!.shape).toEqual([n, 8]);
        expect(compare(got!.toFloat64Array(), want!.toFloat64Array(), "f32", 1e-6).worst).toBe("");
      }
      expect(exe.stats.runs).toBe(4);
      expect(exe.stats.arenaAllocations).toBe(2);
      // The second run records the launches as a graph; the third and fourth replay it with
      // their own sizes, and the fourth with the grown arena's addresses.
      expect([exe.stats.graphCaptures, exe.stats.graphReplays]).toEqual([1, 3]);
    } finally {
      exe.dispose();
    }
    expect(Tensor).toBeDefined();
  });

  it("keeps results on the device and reads device tensors in place (executeOnDevice)", async () => {
    // A growing cache: step(cache, x) -> [sum of the cache rows, cache ++ x], like a decoder's kv.
    const g = new Graph("grow", [new TensorType("f32", ["past", 8]), new TensorType("f32", ["seq", 8])]);
    const [cache, x] = g.inputs as [typeof g.inputs[0], typeof g.inputs[0]];
    const next = ops.concat([cache!, ops.mul(x!, 2)], 0);
    g.output(ops.reduce_sum(next, [0]), next);
    const exe = compileCuda(g, new Map(), { target: "host" });
    const other = compileCuda(g, new Map(), { target: "host" });
    const onDevice = (t: AnyTensor | undefined): DeviceTensor => {
      expect(t && isDeviceTensor(t)).toBe(true);
      return t as DeviceTensor;
    };
    try {
      let dev = onDevice((await exe.executeOnDevice([false, true], randomTensor("f32", [2, 8], 1), randomTensor("f32", [1, 8], 2)))[1]);
      let host = interpret(g, [randomTensor("f32", [2, 8], 1), randomTensor("f32", [1, 8], 2)])[1]!;
      for (let step = 3; step < 7; step++) {
        const xs = randomTensor("f32", [step % 2 + 1, 8], step);
        // Alternate executables: a device tensor is not tied to the one that made it.
        const [sum, out] = await (step % 2 ? other : exe).executeOnDevice([false, true], dev, xs);
        const kept = onDevice(out);
        const want = interpret(g, [host, xs]);
        expect(sum).toBeInstanceOf(Tensor);
        expect(kept.shape).toEqual(want[1]!.shape);
        expect(compare((sum as Tensor).toFloat64Array(), want[0]!.toFloat64Array(), "f32", 1e-6).worst).toBe("");
        expect(compare(kept.toHost().toFloat64Array(), want[1]!.toFloat64Array(), "f32", 0).worst).toBe("");
        dev.dispose();
        [dev, host] = [kept, want[1]!];
      }
      // Every step grows the cache and reads it at a new address: one graph, replayed.
      expect([exe.stats.graphCaptures, exe.stats.graphReplays]).toEqual([1, 2]);
      // Device and host inputs mix; a plain execute reads a device tensor too.
      const [, again] = await exe.execute(dev as unknown as Tensor, Tensor.zeros("f32", [1, 8]));
      expect(again!.shape).toEqual([host.shape[0]! + 1, 8]);
      const into = [new Tensor("f32", [8]), new Tensor("f32", [host.shape[0]! + 1, 8])];
      await exe.executeInto(into, dev as unknown as Tensor, Tensor.zeros("f32", [1, 8]));
      expect(into[1]!.toFloat32Array()).toEqual(again!.toFloat32Array());
      dev.dispose();
      expect(() => dev.toHost()).toThrow(/used after dispose\(\)/);
      await expect(exe.executeOnDevice([true], host, host)).rejects.toThrow(/keep has 1 flags for 2 outputs/);
      const foreign: DeviceTensor = { device: "elsewhere", dtype: "f32", shape: [1, 8], rank: 2, toHost: () => host, dispose: () => undefined };
      await expect(exe.executeOnDevice([false, false], foreign, host)).rejects.toThrow(/input 0 of graph 'grow' is a device tensor of 'elsewhere'; this executable runs on 'cuda-host-harness'/);
    } finally {
      exe.dispose();
      other.dispose();
    }
  });
});
