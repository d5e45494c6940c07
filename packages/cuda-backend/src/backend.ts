// The "cuda" backend: graph -> KernelPlan (shared fusion) -> CUDA C (printer) -> cubin (nvcc,
// cached) -> CudaExecutable. Registers itself on import, above cpu for device "auto".

import { type Backend, type Graph, type Tensor, registerBackend } from "@max-whisper/graph";
import { buildPlan } from "@max-whisper/graph/plan";
import { printPlan } from "./codegen/printer.js";
import { cudaProbe } from "./probe.js";
import { CudaExecutable } from "./runtime/executable.js";
import { CudaDevice, HostDevice, type KernelDevice } from "./runtime/device.js";

export interface CudaCompileOptions {
  /** "gpu" (default) or "host": run the same generated CUDA on the CPU harness (tests). */
  target?: "gpu" | "host";
  /**
   * Replay a graph of the launches from the second run of the same kernels on, with each run's
   * sizes and addresses set in place (default true; on the harness the graph is emulated).
   */
  cudaGraphs?: boolean;
  /** f32 attention on the tensor cores in f16 (see PrintOptions.halfAttention; default false). */
  halfAttention?: boolean;
}

/** Compile an (optimised) graph for the GPU or the CPU harness. */
export function compileCuda(graph: Graph, weights: ReadonlyMap<string, Tensor> = new Map(), opts: CudaCompileOptions = {}): CudaExecutable {
  const plan = buildPlan(graph, { backend: "cuda" });
  const printed = printPlan(plan, { halfAttention: opts.halfAttention });
  const dev: KernelDevice = opts.target === "host" ? new HostDevice() : new CudaDevice();
  return new CudaExecutable(graph, plan, printed, dev, weights, opts.cudaGraphs !== false);
}

/** The CUDA source a graph compiles to (for inspection, prebuilding and nvcc tests). */
export function cudaSource(graph: Graph, opts: Pick<CudaCompileOptions, "halfAttention"> = {}): string {
  return printPlan(buildPlan(graph, { backend: "cuda" }), { halfAttention: opts.halfAttention }).source;
}

export const cudaBackend: Backend = {
  name: "cuda",
  // Above cpu: "auto" takes the GPU whenever it probes clean.
  priority: 20,
  caps: { dtypes: ["f32", "f16", "bf16", "i32", "i64", "bool"] },
  probe: async () => cudaProbe(),
  compile: async (graph, weights, options) => compileCuda(graph, weights, { halfAttention: options.halfPrecision === true }),
};

registerBackend(cudaBackend);
