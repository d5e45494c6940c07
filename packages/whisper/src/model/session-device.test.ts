// DecoderSession on a backend with device memory: the cuda executables, run on the CPU harness
// (the same generated CUDA, built with g++), keep the kv-cache and cross K/V on the "device"
// from step to step, and replay one graph of a step's kernels. Checked against the cpu backend
// step by step, through reorder and rewind.

import { describe, expect, it } from "vitest";
import { type AnyTensor, type Executable, type Graph, type Tensor, compile, isDeviceTensor } from "@max-whisper/graph";
import { loadWhisperWeights } from "../weights/index.js";
import { canonicalWeights } from "./params.js";
import { buildCrossKV, buildDecoder } from "./decoder.js";
import { DecoderSession, type DecoderExecutables } from "./session.js";
import { MICRO_DIR, expectClose, readF32, readI32 } from "./micro-fixture.js";

const cuda = await import("@max-whisper/cuda-backend").catch((e: Error) => e);
const addonMissing = cuda instanceof Error ? cuda.message : null;
if (addonMissing) console.warn(`[whisper] device-session test skipped: ${addonMissing}`);

/** Counts, per run, how many inputs arrived as device tensors. */
function spy(exe: Executable, log: number[]): Executable {
  return new Proxy(exe, {
    get(target, prop, receiver) {
      if (prop === "executeOnDevice" && target.executeOnDevice)
        return (keep: readonly boolean[], ...inputs: AnyTensor[]) => {
          log.push(inputs.filter(isDeviceTensor).length);
          return target.executeOnDevice!(keep, ...inputs);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

describe.skipIf(addonMissing !== null)("decoder session with device-resident state", () => {
  it("keeps kv-cache and cross K/V on the device and matches the cpu backend", async () => {
    const { compileCuda } = cuda as typeof import("@max-whisper/cuda-backend");
    const { config, tensors } = loadWhisperWeights(MICRO_DIR);
    const weights = canonicalWeights(tensors, config, "f32");
    const graphs: Record<"cross" | "first" | "cached", Graph> = {
      cross: buildCrossKV(config, { wdtype: "f32" }),
      first: buildDecoder(config, { cache: false, lastOnly: true }, { wdtype: "f32" }),
      cached: buildDecoder(config, { cache: true, lastOnly: true }, { wdtype: "f32" }),
    };
    const host = Object.fromEntries(Object.entries(graphs).map(([k, g]) => [k, compileCuda(g, weights, { target: "host" })]));
    const cpu = Object.fromEntries(await Promise.all(Object.entries(graphs).map(async ([k, g]) => [k, await compile(g, { device: "cpu", weights })] as const)));
    const runs: number[] = [];
    const session = (e: Record<string, Executable>, cross: readonly AnyTensor[]) => {
      const exes: DecoderExecutables = { first: async () => spy(e.first!, runs), cached: async () => spy(e.cached!, runs) };
      return new DecoderSession(exes, cross, 1, config.nVocab, config.nTextCtx);
    };
    const enc = readF32("encoder_out.bin", [1, 1500, config.nAudioState]);
    const cross = await host.cross!.executeOnDevice!(graphs.cross.outputs.map(() => true), enc);
    expect(cross.every(isDeviceTensor)).toBe(true);
    const dev = session(host, cross);
    const ref = session(cpu, await cpu.cross!.execute(enc));
    const layers = config.nTextLayer;
    try {
      const check = async (tokens: number[], what: string) => {
        const [a] = await dev.step([tokens]);
        const [b] = await ref.step([tokens]);
        expectClose(a!, b!, 2e-5, what);
        return a!;
      };
      let next = readI32("prompt_tokens.bin");
      for (let step = 0; step < 4; step++) {
        const logits = await check(next, `step ${step}`);
        next = [logits.indexOf(Math.max(...logits))];
      }
      // The first feed reads the cross K/V on the device, every later one its kv-cache too.
      expect(runs.slice(0, 4)).toEqual([2 * layers, 4 * layers, 4 * layers, 4 * layers]);
      // reorder and rewind go through the host; the next feed puts the cache back.
      dev.reorder([0]);
      ref.reorder([0]);
      await check(next, "after reorder");
      expect(runs.at(-1)).toBe(2 * layers);
      dev.rewind(2);
      ref.rewind(2);
      await check([next[0]!], "after rewind");
      expect(dev.length).toBe(ref.length);
      expect(runs.at(-1)).toBe(2 * layers);
      // The cached step's kernels are recorded once as a graph (its second run) and every later
      // step replays it, with its kv length and the cache's new addresses set in place.
      const st = host.cached!.stats;
      expect([st.graphCaptures, st.graphReplays, st.graphError]).toEqual([1, 4, undefined]);
    } finally {
      dev.dispose();
      ref.dispose();
      for (const e of [...Object.values(host), ...Object.values(cpu)]) e.dispose();
    }
    // dispose() freed the session's device tensors, cross K/V included.
    expect(() => (cross[0] as { toHost(): Tensor }).toHost()).toThrow(/used after dispose\(\)/);
  });
});
