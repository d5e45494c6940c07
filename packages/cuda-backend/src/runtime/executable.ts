// A compiled graph on a KernelDevice: one module with every kernel of the plan, weights and
// constants resident on the device, and one arena (a single allocation, grown only when a run
// needs more) holding inputs, outputs and the plan's temps at the memory plan's offsets. On a
// GPU, inputs and outputs travel through pinned staging buffers with async copies on the
// executable's own stream, and from the second run that launches the same kernels on, a run
// replays a CUDA graph of them, its launches' grids and arguments (sizes, addresses) updated in
// place: so a decoder step replays one graph while its kv-cache grows.
// executeOnDevice reads inputs already on the device in place and leaves the outputs asked for
// there (CudaDeviceTensor), so a decoder's kv-cache and cross K/V never visit the host.

import {
  type AnyTensor, type DType, type DeviceTensor, type Executable, type Graph, type Tensor, DTYPE_BYTES, Tensor as TensorClass,
  bindInputs, checkOutputs, evalDim, ExecutionError, isDeviceTensor,
} from "@max-whisper/graph";
import { type KernelPlan, type MemoryPlan, arenaLayout, planMemory } from "@max-whisper/graph/plan";
import type { PrintedPlan } from "../codegen/printer.js";
import { KernelArgs } from "./args.js";
import { CudaDevice, type DetachedBuffer, type KernelDevice, type KernelLaunch, type LaunchGraph, type LoadedModule } from "./device.js";

const ALIGN = 256;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

// Device tensors nobody disposed give their memory back when collected.
const unreleased = new FinalizationRegistry<DetachedBuffer>((b) => b.free());

/** An executable's result kept in device memory; any executable on the same device reads it in place. */
export class CudaDeviceTensor implements DeviceTensor {
  readonly shape: readonly number[];
  private buf: DetachedBuffer | undefined;
  constructor(readonly device: string, readonly dtype: DType, shape: readonly number[], buf: DetachedBuffer) {
    this.shape = Object.freeze([...shape]);
    this.buf = buf;
    unreleased.register(this, buf, this);
  }
  get rank(): number {
    return this.shape.length;
  }
  /** The device address (throws once disposed). */
  get ptr(): bigint {
    return this.live().ptr;
  }
  toHost(): Tensor {
    const t = new TensorClass(this.dtype, this.shape);
    this.live().download(t.bytes());
    return t;
  }
  dispose(): void {
    if (!this.buf) return;
    unreleased.unregister(this);
    this.buf.free();
    this.buf = undefined;
  }
  private live(): DetachedBuffer {
    if (!this.buf) throw new ExecutionError(`[cuda] device tensor ${this.dtype}[${this.shape.join(", ")}] used after dispose()`);
    return this.buf;
  }
}

export interface ExecutableStats {
  runs: number;
  /** Graphs recorded (one per distinct sequence of launched kernels, on its second run). */
  graphCaptures: number;
  /** Runs that replayed a graph. */
  graphReplays: number;
  arenaBytes: number;
  arenaAllocations: number;
  /** Why recording a graph was given up (the executable then launches eagerly). */
  graphError?: string;
}

export class CudaExecutable implements Executable {
  readonly device: string;
  readonly stats: ExecutableStats = { runs: 0, graphCaptures: 0, graphReplays: 0, arenaBytes: 0, arenaAllocations: 0 };
  private readonly mod: LoadedModule;
  private readonly mem: MemoryPlan;
  private readonly resident = new Map<number, bigint>();
  /** The plan's buffer id of each graph input (undefined when the graph never reads it). */
  private readonly inputIds: (number | undefined)[];
  private arena = 0n;
  private arenaSize = 0;
  private pinned: ArrayBuffer | undefined;
  /** Launched kernels (names in order) -> how often seen, and the graph once it repeats. */
  private readonly seen = new Map<string, number>();
  private readonly graphs = new Map<string, LaunchGraph>();
  private disposed = false;

  constructor(
    readonly graph: Graph,
    readonly plan: KernelPlan,
    readonly printed: PrintedPlan,
    private readonly dev: KernelDevice,
    weights: ReadonlyMap<string, Tensor>,
    private useGraphs = true,
  ) {
    this.device = dev.kind === "cuda" ? "cuda" : "cuda-host-harness";
    this.mod = dev.loadModule(printed.source);
    this.mem = planMemory(plan);
    this.inputIds = graph.inputs.map((_, i) => plan.buffers.find((b) => b.kind === "input" && b.index === i)?.id);
    for (const b of plan.buffers) {
      if (b.kind !== "weight" && b.kind !== "constant") continue;
      const t = b.kind === "weight" ? weights.get(b.name!) : b.data;
      if (!t) throw new ExecutionError(`[cuda] weight '${b.name}' has no data`);
      const p = dev.alloc(t.byteLength);
      dev.upload(p, t.data);
      this.resident.set(b.id, p);
    }
    dev.sync();
  }

  async execute(...inputs: Tensor[]): Promise<Tensor[]> {
    return this.run(inputs) as Tensor[];  // nothing kept: every output is a host tensor
  }

  async executeInto(outputs: readonly Tensor[], ...inputs: Tensor[]): Promise<Tensor[]> {
    return this.run(inputs, outputs) as Tensor[];
  }

  async executeOnDevice(keep: readonly boolean[], ...inputs: AnyTensor[]): Promise<AnyTensor[]> {
    const n = this.graph.outputs.length;
    if (keep.length !== n)
      throw new ExecutionError(`[cuda] executeOnDevice on graph '${this.graph.name}': keep has ${keep.length} flags for ${n} outputs`);
    return this.run(inputs, undefined, keep);
  }

  private run(inputs: readonly AnyTensor[], given?: readonly Tensor[], keep?: readonly boolean[]): AnyTensor[] {
    if (this.disposed) throw new ExecutionError(`[cuda] executable for '${this.graph.name}' was disposed`);
    const env = bindInputs(this.graph, inputs);
    if (given) checkOutputs(this.graph, env, given, inputs);
    const plan = this.plan, dev = this.dev;
    // Inputs already on the device are read where they are; kept outputs get memory of their own.
    const onDevice = new Map<number, bigint>();
    inputs.forEach((t, i) => {
      if (!isDeviceTensor(t)) return;
      if (!(t instanceof CudaDeviceTensor) || t.device !== this.device)
        throw new ExecutionError(`[cuda] input ${i} of graph '${this.graph.name}' is a device tensor of '${t.device}'; this executable runs on '${this.device}'`);
      const id = this.inputIds[i];
      if (id !== undefined) onDevice.set(id, t.ptr);
    });
    const kept = new Map<number, DetachedBuffer>();
    plan.outputs.forEach((o, i) => {
      const b = plan.buffers[o.buffer]!;
      if (!keep?.[i] || b.kind !== "output" || kept.has(b.id)) return;
      const buf = dev.allocDetached(evalDim(b.size, env) * DTYPE_BYTES[b.dtype]);
      kept.set(b.id, buf);
      onDevice.set(b.id, buf.ptr);
    });
    try {
      return this.launchAndCollect(inputs, env, onDevice, kept, given);
    } catch (e) {
      for (const b of kept.values()) b.free();
      throw e;
    }
  }

  private launchAndCollect(
    inputs: readonly AnyTensor[], env: Record<string, number>, onDevice: ReadonlyMap<number, bigint>,
    kept: ReadonlyMap<number, DetachedBuffer>, given?: readonly Tensor[],
  ): AnyTensor[] {
    const plan = this.plan, dev = this.dev;
    const layout = arenaLayout(plan, this.mem, env);
    // Host inputs and outputs sit after the temps in the same arena.
    const io = new Map<number, number>();
    let end = align(layout.arenaBytes);
    for (const b of plan.buffers)
      if ((b.kind === "input" || b.kind === "output") && !onDevice.has(b.id)) {
        io.set(b.id, end);
        end += align(evalDim(b.size, env) * DTYPE_BYTES[b.dtype]);
      }
    this.ensureArena(end);
    const addr = (id: number): bigint => {
      const r = this.resident.get(id) ?? onDevice.get(id);
      if (r !== undefined) return r;
      const off = io.get(id) ?? layout.offsets.get(id);
      if (off === undefined) throw new ExecutionError(`[cuda] internal: buffer ${id} has no place in the arena`);
      return this.arena + BigInt(off);
    };

    // Stage inputs (pinned on a GPU) and enqueue the uploads.
    const ioBytes = [...io.keys()].reduce((s, id) => s + align(evalDim(plan.buffers[id]!.size, env) * DTYPE_BYTES[plan.buffers[id]!.dtype]), 0);
    const staging = this.staging(ioBytes);
    let cursor = 0;
    inputs.forEach((t, i) => {
      const id = this.inputIds[i];
      if (id === undefined || isDeviceTensor(t)) return;
      const bytes = t.bytes();
      if (staging) {
        const view = new Uint8Array(staging, cursor, bytes.byteLength);
        view.set(bytes);
        dev.upload(addr(id), view);
        cursor += align(bytes.byteLength);
      } else dev.upload(addr(id), bytes);
    });

    this.dispatch(this.launches(env, addr));

    const outs = plan.outputs.map((o, i): { t: AnyTensor; view?: Uint8Array } => {
      const shape = o.shape.map((d) => evalDim(d, env));
      const buf = kept.get(o.buffer);
      if (buf) return { t: new CudaDeviceTensor(this.device, o.dtype, shape, buf) };
      const t = given?.[i] ?? new TensorClass(o.dtype, shape);
      const bytes = t.bytes();
      const src = addr(o.buffer);
      if (staging) {
        const view = new Uint8Array(staging, cursor, bytes.byteLength);
        dev.download(view, src);
        cursor += align(bytes.byteLength);
        return { t, view };
      }
      dev.download(bytes, src);
      return { t, view: undefined };
    });
    dev.sync();
    for (const { t, view } of outs) if (view) (t as Tensor).bytes().set(view);
    this.stats.runs++;
    return outs.map((o) => o.t);
  }

  /**
   * Launch eagerly, or through a graph: the second run that launches the same kernels records
   * them, and every later one replays that graph with its own grids and arguments.
   */
  private dispatch(launches: readonly KernelLaunch[]): void {
    const dev = this.dev;
    const key = launches.map((l) => l.name).join(" ");
    const seen = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, seen);
    if (this.useGraphs && dev.recordGraph && seen >= 2 && launches.length > 0) {
      try {
        let graph = this.graphs.get(key);
        if (!graph) {
          graph = dev.recordGraph(this.mod, launches);
          this.graphs.set(key, graph);
          this.stats.graphCaptures++;
        }
        graph.replay(launches);
        this.stats.graphReplays++;
        return;
      } catch (e) {
        // Graphs are an optimisation: from now on launch eagerly, and keep the reason.
        this.useGraphs = false;
        this.stats.graphError = (e as Error).message;
      }
    }
    for (const l of launches) dev.launch(this.mod, l.name, l.grid, l.block, l.args, l.smem);
  }

  private launches(env: Record<string, number>, addr: (id: number) => bigint): KernelLaunch[] {
    const out: KernelLaunch[] = [];
    for (const k of this.printed.kernels) {
      const l = k.launch(env);
      if (!l) continue;
      const args = new KernelArgs();
      for (const b of k.buffers) args.ptr(addr(b));
      for (const s of this.plan.symbols) args.i64(env[s]!);
      out.push({ name: k.name, grid: l.grid, block: l.block, args });
    }
    return out;
  }

  private ensureArena(bytes: number): void {
    if (bytes <= this.arenaSize && this.arena !== 0n) return;
    if (this.arena !== 0n) {
      // Graphs hold the old addresses only until their next replay sets the new ones.
      this.dev.sync();
      this.dev.free(this.arena);
    }
    // Grow by 25% headroom so a decoder whose kv-cache grows a little does not realloc each step.
    this.arenaSize = Math.max(align(Math.ceil(bytes * 1.25)), ALIGN);
    this.arena = this.dev.alloc(this.arenaSize);
    this.stats.arenaBytes = this.arenaSize;
    this.stats.arenaAllocations++;
  }

  private staging(bytes: number): ArrayBuffer | undefined {
    if (!(this.dev instanceof CudaDevice)) return undefined;
    if (!this.pinned || this.pinned.byteLength < bytes) this.pinned = this.dev.allocPinned(Math.max(bytes, 4096));
    return this.pinned;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dev.sync();
    for (const g of this.graphs.values()) g.dispose();
    for (const p of this.resident.values()) this.dev.free(p);
    if (this.arena !== 0n) this.dev.free(this.arena);
    this.dev.dispose();
  }
}
