// The cpu backend: registers itself with @max-whisper/graph on import. compile() plans the graph
// (fusion + memory), generates C++, builds it through the disk cache and loads it with the
// native addon; execute() binds dims, lays out the arena and runs without copying tensors.

import {
  type Backend, type CompileOptions, type Executable, type Graph, Tensor, type DType, DTYPE_BYTES, storageOver,
  ExecutionError, UnsupportedOpError, bindInputs, checkOutputs, evalDim, registerBackend,
} from "@max-whisper/graph";
import { type KernelPlan, type MemoryPlan, arenaLayout, buildPlan, planMemory, printPlan } from "@max-whisper/graph/plan";
import { generateCpp } from "./codegen.js";
import { type CacheEntry, type CompileOptions as CxxOptions, compileAndLoad, compilerVersion } from "./compile-cache.js";
import { type CpuNative, type NativeBuffer, type NativeLibrary, loadNative } from "./native.js";

export { generateCpp } from "./codegen.js";
export { cacheRoot, compileCached, compileAndLoad, CompileError, CXX_FLAGS, RUNTIME_INCLUDE_DIR } from "./compile-cache.js";

const SUPPORTED: readonly DType[] = ["f32", "f16", "bf16", "i32", "i64", "bool"];
/** The runtime attention widens f16/bf16 K/V in registers (a decoder's cross K/V stay half). */
const HALF_KV = true;

/** Results at least this large are fresh mappings worth backing with huge pages. */
const HUGE_OUTPUT_BYTES = 8 << 20;

/** What compile() built, for tests and tools (`(exe as CpuExecutable).plan`). */
export interface CpuExecutable extends Executable {
  readonly plan: KernelPlan;
  readonly memory: MemoryPlan;
  readonly source: string;
  readonly library: CacheEntry;
  /** Arena bytes of the last execute. */
  readonly lastArenaBytes: number;
}

export interface CpuCompileOptions extends CompileOptions {
  /** Compiler/cache overrides (tests). */
  cxx?: CxxOptions;
}

/** Plan + C++ for a graph without compiling (tools, tests, docs). */
export function lowerToCpp(graph: Graph): { plan: KernelPlan; source: string; stateSlots: number } {
  for (const n of graph.nodes)
    if (!SUPPORTED.includes(n.type.dtype)) throw new UnsupportedOpError(n.op, n.type.dtype, "cpu");
  const plan = buildPlan(graph, { backend: "cpu", halfKV: HALF_KV });
  const { source, stateSlots } = generateCpp(plan);
  return { plan, source, stateSlots };
}

export async function compileCpu(graph: Graph, weights: ReadonlyMap<string, Tensor>, options: CpuCompileOptions = {}): Promise<CpuExecutable> {
  const native = loadNative();
  const { plan, source, stateSlots } = lowerToCpp(graph);
  const memory = planMemory(plan);
  const { lib, entry } = await compileAndLoad(source, (p) => native.loadLibrary(p), options.cxx);
  // DEBUG>=2 shows what the compiler made of the graph, and where its C++ is.
  if (Number(process.env.DEBUG ?? 0) >= 2) process.stderr.write(`${printPlan(plan)}\nsource: ${entry.sourcePath}\n`);
  return new CpuExec(graph, weights, options, native, plan, memory, source, lib, entry, stateSlots);
}

class CpuExec implements CpuExecutable {
  readonly device = "cpu";
  private arena: ArrayBuffer | null = null;
  lastArenaBytes = 0;
  private disposed = false;
  /** Buffers bound once: weights and constants. */
  private readonly fixed: NativeBuffer[];
  /**
   * What runs keep: the GEMM weights packed for the micro-kernel on first use (so a weight's
   * data must not change after the first run). Freed by dispose, or with the executable.
   */
  private readonly state: ArrayBuffer | null;

  constructor(
    readonly graph: Graph, weights: ReadonlyMap<string, Tensor>, private readonly options: CpuCompileOptions,
    private readonly native: CpuNative, readonly plan: KernelPlan, readonly memory: MemoryPlan,
    readonly source: string, private readonly lib: NativeLibrary, readonly library: CacheEntry, stateSlots: number,
  ) {
    this.state = stateSlots > 0 ? native.allocState(stateSlots) : null;
    this.fixed = plan.buffers.map((b) => {
      if (b.kind === "weight") {
        const t = weights.get(b.name!);
        if (!t) throw new ExecutionError(`[cpu] weight '${b.name}' has no data`);
        return t.data;
      }
      if (b.kind === "constant") return b.data!.data;
      return null;
    });
  }

  async execute(...inputs: Tensor[]): Promise<Tensor[]> {
    return this.run(inputs);
  }

  async executeInto(outputs: readonly Tensor[], ...inputs: Tensor[]): Promise<Tensor[]> {
    return this.run(inputs, outputs);
  }

  private run(inputs: readonly Tensor[], given?: readonly Tensor[]): Tensor[] {
    if (this.disposed) throw new ExecutionError(`[cpu] executable for graph '${this.graph.name}' was disposed`);
    const env = bindInputs(this.graph, inputs);
    if (given) checkOutputs(this.graph, env, given, inputs);
    const plan = this.plan;
    const dims = new BigInt64Array(plan.symbols.map((s) => {
      const v = env[s];
      if (v === undefined) throw new ExecutionError(`[cpu] symbolic dim '${s}' has no value from the inputs`);
      return BigInt(v);
    }));
    // Kernels write every element of every output, so outputs skip JS's zero fill (for a
    // 2 MB layer_norm result that fill is a quarter of the run).
    const outputs = given ? [...given] : plan.outputs.map((o) => {
      const shape = o.shape.map((d) => evalDim(d, env));
      const n = shape.reduce((a, b) => a * b, 1);
      const data = storageOver(o.dtype, Buffer.allocUnsafeSlow(n * DTYPE_BYTES[o.dtype]).buffer, 0, n);
      if (data.byteLength >= HUGE_OUTPUT_BYTES) this.native.adviseHugePages(data);
      return new Tensor(o.dtype, shape, data);
    });
    const lay = arenaLayout(plan, this.memory, env);
    if (!this.arena || this.arena.byteLength < lay.arenaBytes) this.arena = this.native.allocAligned(Math.max(64, lay.arenaBytes));
    this.lastArenaBytes = lay.arenaBytes;
    const buffers: NativeBuffer[] = plan.buffers.map((b, i) => {
      switch (b.kind) {
        case "input": return inputs[b.index!]!.data;
        case "output": return outputs[b.index!]!.data;
        case "temp": {
          const off = lay.offsets.get(b.id);
          return off === undefined ? null : new Uint8Array(this.arena!, off, lay.bytes.get(b.id)!);
        }
        default: return this.fixed[i]!;
      }
    });
    // The pool is process-wide: an explicit thread count applies to this run.
    if (this.options.threads && this.native.threads() !== this.options.threads) this.native.setThreads(this.options.threads);
    this.native.runLibrary(this.lib, buffers, dims, this.state);
    return outputs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena = null;
    if (this.state) this.native.releaseState(this.state);
    // dlopen counts references: other executables of the same library keep it loaded.
    this.native.unloadLibrary(this.lib);
  }

  toString(): string {
    return printPlan(this.plan);
  }
}

export const cpuBackend: Backend = {
  name: "cpu",
  // Above the reference interpreter, below cuda.
  priority: 10,
  caps: { dtypes: SUPPORTED, halfKV: HALF_KV },
  async probe() {
    try {
      loadNative();
    } catch (e) {
      return (e as Error).message;
    }
    try {
      await compilerVersion();
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  },
  compile: (graph, weights, options) => compileCpu(graph, weights, options),
};

registerBackend(cpuBackend);


