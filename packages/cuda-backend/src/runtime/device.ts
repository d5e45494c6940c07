// Where kernels run: the GPU through the driver API, or the CPU harness (the same CUDA source
// built with g++ and run on fibers). Both expose one small interface, so the executable,
// arena and launch code are exercised identically by CI on machines without a GPU.

import { compileCubin, compileHost } from "../compile.js";
import { sha256 } from "../cache.js";
import { type DeviceAttributes, type Dims3, type Handle, type NativeAddon, requireAddon } from "../native.js";
import type { KernelArgs } from "./args.js";

export interface LoadedModule {
  readonly key: string;
}

/**
 * Device memory that outlives the KernelDevice (and executable) that allocated it: results kept
 * on the device (DeviceTensor). Its holder frees it; its contents are complete once the run that
 * wrote them has synced.
 */
export interface DetachedBuffer {
  readonly ptr: bigint;
  /** Copy to host memory and wait for it. */
  download(dst: ArrayBufferView): void;
  free(): void;
}

/** One kernel launch of a module: what launch() takes, as a record. */
export interface KernelLaunch {
  readonly name: string;
  readonly grid: Dims3;
  readonly block: Dims3;
  readonly args: KernelArgs;
  readonly smem?: number;
}

/**
 * A fixed sequence of kernels recorded once (a CUDA graph) and replayed; before each replay any
 * launch's grid and arguments may be changed in place, so runs whose sizes or buffer addresses
 * differ (a decoder step over a longer kv-cache) replay the same graph.
 */
export interface LaunchGraph {
  /** The kernel names, in order: a graph only takes launches of these kernels, in this order. */
  readonly names: readonly string[];
  /** Set every launch's grid and arguments (unchanged ones are skipped), then replay. */
  replay(launches: readonly KernelLaunch[]): void;
  dispose(): void;
}

export interface KernelDevice {
  readonly kind: "cuda" | "host";
  readonly label: string;
  /** Compile (cached) and load CUDA source; loading the same source twice reuses the module. */
  loadModule(source: string): LoadedModule;
  launch(mod: LoadedModule, name: string, grid: Dims3, block: Dims3, args: KernelArgs, smem?: number): void;
  /** Record launches as a replayable graph (does not run them); absent where the device cannot. */
  recordGraph?(mod: LoadedModule, launches: readonly KernelLaunch[]): LaunchGraph;
  alloc(bytes: number): bigint;
  free(ptr: bigint): void;
  allocDetached(bytes: number): DetachedBuffer;
  /** Copy host → device; ordered with launches on this device's stream. */
  upload(dst: bigint, src: ArrayBufferView): void;
  /** Copy device → host; the data is there after sync(). */
  download(dst: ArrayBufferView, src: bigint): void;
  memset(ptr: bigint, byte: number, bytes: number): void;
  sync(): void;
  dispose(): void;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// ---- CUDA ----------------------------------------------------------------------------------

export interface CudaContext {
  readonly addon: NativeAddon;
  readonly ctx: Handle;
  readonly ordinal: number;
  readonly attrs: DeviceAttributes;
  readonly arch: string;
  readonly driverVersion: number;
  readonly modules: Map<string, { mod: Handle; fns: Map<string, Handle> }>;
}

let context: CudaContext | undefined;

/** The process-wide context on GPU 0 (primary context), created on first use. */
export function cudaContext(): CudaContext {
  if (context) return context;
  const addon = requireAddon();
  const why = addon.load();
  if (why) throw new Error(`[cuda] ${why}`);
  const driverVersion = addon.init();
  if (addon.deviceCount() < 1) throw new Error("[cuda] no CUDA GPU is visible (cuDeviceGetCount returned 0)");
  const ctx = addon.ctxRetain(0);
  const attrs = addon.deviceInfo(0);
  context = { addon, ctx, ordinal: 0, attrs, arch: `sm_${attrs.major}${attrs.minor}`, driverVersion, modules: new Map() };
  return context;
}

/** A GPU with its own stream (one per executable). */
export class CudaDevice implements KernelDevice {
  readonly kind = "cuda" as const;
  readonly label: string;
  readonly stream: Handle;
  private readonly c: CudaContext;
  constructor(c: CudaContext = cudaContext()) {
    this.c = c;
    c.addon.ctxSetCurrent(c.ctx);
    this.stream = c.addon.streamCreate();
    this.label = `${c.attrs.name} (${c.arch})`;
  }
  get context(): CudaContext {
    return this.c;
  }
  loadModule(source: string): LoadedModule {
    const key = sha256(source, this.c.arch);
    if (!this.c.modules.has(key)) {
      const image = compileCubin(source, this.c.arch);
      this.c.modules.set(key, { mod: this.c.addon.moduleLoad(image), fns: new Map() });
    }
    return { key };
  }
  private fn(mod: LoadedModule, name: string, smem: number): Handle {
    const m = this.c.modules.get(mod.key);
    if (!m) throw new Error(`[cuda] module ${mod.key.slice(0, 12)} is not loaded`);
    let f = m.fns.get(name);
    if (f === undefined) {
      f = this.c.addon.moduleGetFunction(m.mod, name);
      m.fns.set(name, f);
    }
    // More than 48 KiB of dynamic shared memory must be opted into per function.
    if (smem > 48 * 1024) this.c.addon.funcSetMaxDynamicSmem(f, smem);
    return f;
  }
  launch(mod: LoadedModule, name: string, grid: Dims3, block: Dims3, args: KernelArgs, smem = 0): void {
    const { bytes, offsets } = args.pack();
    this.c.addon.launch(this.fn(mod, name, smem), grid, block, smem, this.stream, bytes, offsets);
  }
  alloc(bytes: number): bigint {
    return this.c.addon.memAlloc(Math.max(bytes, 1));
  }
  free(ptr: bigint): void {
    this.c.addon.memFree(ptr);
  }
  allocDetached(bytes: number): DetachedBuffer {
    const a = this.c.addon, ptr = a.memAlloc(Math.max(bytes, 1));
    return {
      ptr,
      // On the context's default stream, then a context-wide sync: the executable's own stream
      // may be gone by now.
      download: (dst) => {
        if (dst.byteLength > 0) a.memcpyDtoHAsync(bytesOf(dst), ptr, 0n);
        a.ctxSynchronize();
      },
      free: () => a.memFree(ptr),
    };
  }
  upload(dst: bigint, src: ArrayBufferView): void {
    if (src.byteLength > 0) this.c.addon.memcpyHtoDAsync(dst, bytesOf(src), this.stream);
  }
  download(dst: ArrayBufferView, src: bigint): void {
    if (dst.byteLength > 0) this.c.addon.memcpyDtoHAsync(bytesOf(dst), src, this.stream);
  }
  memset(ptr: bigint, byte: number, bytes: number): void {
    if (bytes > 0) this.c.addon.memsetD8Async(ptr, byte, bytes, this.stream);
  }
  /** Pinned host memory (page-locked), so async copies overlap with compute. */
  allocPinned(bytes: number): ArrayBuffer {
    return this.c.addon.memAllocHost(bytes);
  }
  sync(): void {
    this.c.addon.streamSynchronize(this.stream);
  }
  /** Milliseconds of GPU time taken by fn's work on this stream (CUDA events). */
  time(fn: () => void): number {
    const a = this.c.addon, e0 = a.eventCreate(), e1 = a.eventCreate();
    try {
      a.eventRecord(e0, this.stream);
      fn();
      a.eventRecord(e1, this.stream);
      a.eventSynchronize(e1);
      return a.eventElapsedTime(e0, e1);
    } finally {
      a.eventDestroy(e0);
      a.eventDestroy(e1);
    }
  }
  /** A CUDA graph of the launches as a chain of kernel nodes, instantiated; see LaunchGraph. */
  recordGraph(mod: LoadedModule, launches: readonly KernelLaunch[]): LaunchGraph {
    const a = this.c.addon, graph = a.graphCreate();
    try {
      const nodes: Handle[] = [];
      const fns = launches.map((l) => this.fn(mod, l.name, l.smem ?? 0));
      launches.forEach((l, i) => {
        const { bytes, offsets } = l.args.pack();
        nodes.push(a.graphAddKernel(graph, nodes.at(-1) ?? null, fns[i]!, l.grid, l.block, l.smem ?? 0, bytes, offsets));
      });
      const exec = a.graphInstantiate(graph);
      return new CudaLaunchGraph(a, graph, exec, this.stream, launches, nodes, fns);
    } catch (e) {
      a.graphDestroy(graph);
      throw e;
    }
  }
  /** Record fn's launches on this stream as a CUDA graph; returns the instantiated graph. */
  capture(fn: () => void): CudaGraph {
    const a = this.c.addon;
    a.streamBeginCapture(this.stream);
    let graph: Handle;
    try {
      fn();
    } finally {
      graph = a.streamEndCapture(this.stream);
    }
    const exec = a.graphInstantiate(graph);
    return new CudaGraph(a, graph, exec, this.stream);
  }
  dispose(): void {
    this.c.addon.streamDestroy(this.stream);
  }
}

export class CudaGraph {
  constructor(private readonly a: NativeAddon, private readonly graph: Handle, private readonly exec: Handle, private readonly stream: Handle) {}
  launch(): void {
    this.a.graphLaunch(this.exec, this.stream);
  }
  dispose(): void {
    this.a.graphExecDestroy(this.exec);
    this.a.graphDestroy(this.graph);
  }
}

type PackedArgs = ReturnType<KernelArgs["pack"]>;

/** Launch parameters as a graph holds them, to skip updates that change nothing. */
function launchKey(l: KernelLaunch, { bytes }: PackedArgs): string {
  return `${l.grid.join(",")}|${l.block.join(",")}|${l.smem ?? 0}|${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")}`;
}

/**
 * The replay rule both devices share: a replay must bring the recorded kernels in order; a
 * launch whose grid or arguments differ from what its node holds is set anew (setNode), the
 * others are left as they are; then the whole graph runs (run).
 */
abstract class RecordedGraph implements LaunchGraph {
  readonly names: readonly string[];
  private readonly keys: string[];
  constructor(launches: readonly KernelLaunch[]) {
    this.names = launches.map((l) => l.name);
    this.keys = launches.map((l) => launchKey(l, l.args.pack()));
  }
  replay(launches: readonly KernelLaunch[]): void {
    if (launches.length !== this.names.length || launches.some((l, i) => l.name !== this.names[i]))
      throw new Error(`[cuda] a graph of [${this.names.join(", ")}] cannot replay launches of [${launches.map((l) => l.name).join(", ")}]`);
    launches.forEach((l, i) => {
      const packed = l.args.pack();
      const key = launchKey(l, packed);
      if (key === this.keys[i]) return;
      this.setNode(i, l, packed);
      this.keys[i] = key;
    });
    this.run();
  }
  /** Give node i the launch's grid and arguments (`packed`: its arguments, packed once). */
  protected abstract setNode(i: number, l: KernelLaunch, packed: PackedArgs): void;
  protected abstract run(): void;
  abstract dispose(): void;
}

class CudaLaunchGraph extends RecordedGraph {
  constructor(
    private readonly a: NativeAddon, private readonly graph: Handle, private readonly exec: Handle, private readonly stream: Handle,
    launches: readonly KernelLaunch[], private readonly nodes: readonly Handle[], private readonly fns: readonly Handle[],
  ) {
    super(launches);
  }
  protected setNode(i: number, l: KernelLaunch, { bytes, offsets }: PackedArgs): void {
    this.a.graphSetKernel(this.exec, this.nodes[i]!, this.fns[i]!, l.grid, l.block, l.smem ?? 0, bytes, offsets);
  }
  protected run(): void {
    this.a.graphLaunch(this.exec, this.stream);
  }
  dispose(): void {
    this.a.graphExecDestroy(this.exec);
    this.a.graphDestroy(this.graph);
  }
}

/** The harness's graph: holds its launches as recorded or last set, and runs those. */
class HostLaunchGraph extends RecordedGraph {
  private readonly nodes: KernelLaunch[];
  constructor(private readonly dev: HostDevice, private readonly mod: LoadedModule, launches: readonly KernelLaunch[]) {
    super(launches);
    this.nodes = [...launches];
  }
  protected setNode(i: number, l: KernelLaunch): void {
    this.nodes[i] = l;
  }
  protected run(): void {
    for (const l of this.nodes) this.dev.launch(this.mod, l.name, l.grid, l.block, l.args, l.smem);
  }
  dispose(): void {}
}

// ---- CPU harness ---------------------------------------------------------------------------

const hostLibs = new Map<string, Handle>();

/** Runs generated CUDA on the CPU (synchronously: every copy and launch completes at once). */
export class HostDevice implements KernelDevice {
  readonly kind = "host" as const;
  readonly label = "CPU harness (CUDA source on host fibers)";
  private readonly a = requireAddon();
  private readonly live = new Set<bigint>();
  loadModule(source: string): LoadedModule {
    const path = compileHost(source);
    if (!hostLibs.has(path)) hostLibs.set(path, this.a.hostOpen(path));
    return { key: path };
  }
  launch(mod: LoadedModule, name: string, grid: Dims3, block: Dims3, args: KernelArgs, smem = 0): void {
    const lib = hostLibs.get(mod.key);
    if (lib === undefined) throw new Error(`[cuda harness] module ${mod.key} is not loaded`);
    const { bytes, offsets } = args.pack();
    this.a.hostLaunch(lib, name, grid, block, smem, bytes, offsets);
  }
  /** A graph as the GPU keeps one: replays run the launches as recorded or last set. */
  recordGraph(mod: LoadedModule, launches: readonly KernelLaunch[]): LaunchGraph {
    return new HostLaunchGraph(this, mod, launches);
  }
  alloc(bytes: number): bigint {
    const p = this.a.hostAlloc(bytes);
    this.live.add(p);
    return p;
  }
  free(ptr: bigint): void {
    if (this.live.delete(ptr)) this.a.hostFree(ptr);
  }
  allocDetached(bytes: number): DetachedBuffer {
    const a = this.a, ptr = a.hostAlloc(bytes);
    return { ptr, download: (dst) => { if (dst.byteLength > 0) a.hostCopy(bytesOf(dst), ptr); }, free: () => a.hostFree(ptr) };
  }
  upload(dst: bigint, src: ArrayBufferView): void {
    if (src.byteLength > 0) this.a.hostCopy(dst, bytesOf(src));
  }
  download(dst: ArrayBufferView, src: bigint): void {
    if (dst.byteLength > 0) this.a.hostCopy(bytesOf(dst), src);
  }
  memset(ptr: bigint, byte: number, bytes: number): void {
    if (bytes > 0) this.a.hostMemset(ptr, byte, bytes);
  }
  sync(): void {}
  dispose(): void {
    for (const p of this.live) this.a.hostFree(p);
    this.live.clear();
  }
}
