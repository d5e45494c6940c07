// The backend interface and registry. Backends (reference here; cpu and cuda in their own
// packages) register themselves; the graph package never imports one statically.

import type { Graph } from "./ir/graph.js";
import type { Tensor } from "./tensor.js";
import type { DType } from "./dtype.js";

/**
 * A result left in a backend's own memory (a GPU's) by Executable.executeOnDevice, to feed later
 * runs of executables on the same device without a round trip through the host: a decoder's
 * kv-cache and cross-attention K/V from step to step.
 */
export interface DeviceTensor {
  /** The executable's `device` that made it; only executables with the same one accept it. */
  readonly device: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly rank: number;
  /** A host copy (waits for the device). */
  toHost(): Tensor;
  /** Free the device memory now (otherwise it is freed when the object is collected). */
  dispose(): void;
}

/** A host tensor or a device-resident one. */
export type AnyTensor = Tensor | DeviceTensor;

export function isDeviceTensor(t: AnyTensor): t is DeviceTensor {
  return typeof (t as DeviceTensor).toHost === "function";
}

export type Device = "reference" | "cpu" | "cuda" | "auto";

export interface CompileOptions {
  device?: Device;
  /** Data for the graph's named weights (`graph.weight(name, type)`). */
  weights?: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;
  /** Worker threads for the cpu backend (default: all cores). */
  threads?: number;
  /** Print the IR after each pass and the pass timings (also enabled by DEBUG>=2). */
  dumpPasses?: boolean;
  /**
   * The model is half precision (16-bit weights): a backend with 16-bit units may compute f32
   * work on them where it has no weight to tell it so (cuda: attention on the tensor cores in
   * f16; GEMMs with 16-bit weights take the tensor cores either way). cpu and reference ignore it.
   */
  halfPrecision?: boolean;
}

export interface Executable {
  readonly device: string;
  readonly graph: Graph;
  /** Run the graph; inputs in the order of graph.inputs, outputs in the order of graph.output(). */
  execute(...inputs: Tensor[]): Promise<Tensor[]>;
  /**
   * Run the graph writing its results into caller-owned tensors (one per output, with the
   * output's dtype and shape, sharing no memory with the inputs); resolves to those tensors. A
   * loop that reuses its outputs skips allocating, and page-faulting, fresh memory per run.
   */
  executeInto(outputs: readonly Tensor[], ...inputs: Tensor[]): Promise<Tensor[]>;
  /**
   * Backends with memory of their own (cuda) only: inputs may be DeviceTensors this executable's
   * device made, and each output i with keep[i] stays on the device as a DeviceTensor (the
   * caller disposes it); the others come back as host tensors. Backends that compute in host
   * memory leave this out: their results are host tensors already.
   */
  executeOnDevice?(keep: readonly boolean[], ...inputs: AnyTensor[]): Promise<AnyTensor[]>;
  dispose(): void;
}

export interface BackendCaps {
  readonly dtypes: readonly DType[];
  /**
   * Attention reads f16/bf16 K and V as they are stored (a cast of K/V feeding an attention is
   * absorbed into its kernel), so a model may keep its caches in half precision at half the
   * bytes without paying a widening pass.
   */
  readonly halfKV?: boolean;
}

export interface Backend {
  readonly name: Exclude<Device, "auto">;
  /** Higher wins for device "auto". */
  readonly priority: number;
  readonly caps: BackendCaps;
  /** null when usable here, else one sentence saying what is missing. */
  probe(): Promise<string | null>;
  compile(graph: Graph, weights: ReadonlyMap<string, Tensor>, options: CompileOptions): Promise<Executable>;
}

const backends = new Map<string, Backend>();

export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
}

export function registeredBackends(): Backend[] {
  return [...backends.values()];
}

export function getRegisteredBackend(name: string): Backend | undefined {
  return backends.get(name);
}
