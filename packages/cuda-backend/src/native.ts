// Loads the mw_cuda.node addon (built by cmake-js on install) and types its thin C ABI.
// Pointers and driver handles cross the boundary as bigints; all policy stays in TypeScript.

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type Handle = bigint;
export type Dims3 = readonly [number, number, number];

export interface DeviceAttributes {
  name: string;
  totalMem: number;
  major: number;
  minor: number;
  multiprocessors: number;
  maxSharedPerBlockOptin: number;
  l2Bytes: number;
  clockKHz: number;
  memoryClockKHz: number;
  memoryBusWidth: number;
}

export interface NativeAddon {
  /** Open libcuda.so.1 and resolve the driver entry points; null, or why it failed. */
  load(): string | null;
  setErrorClass(ctor: new (info: CudaCallInfo) => Error): void;
  /** cuInit; returns the driver version (e.g. 13000). */
  init(): number;
  deviceCount(): number;
  deviceInfo(ordinal: number): DeviceAttributes;
  ctxRetain(ordinal: number): Handle;
  ctxSetCurrent(ctx: Handle): void;
  ctxSynchronize(): void;
  moduleLoad(image: Uint8Array): Handle;
  moduleUnload(mod: Handle): void;
  moduleGetFunction(mod: Handle, name: string): Handle;
  funcSetMaxDynamicSmem(fn: Handle, bytes: number): void;
  launch(fn: Handle, grid: Dims3, block: Dims3, smem: number, stream: Handle, args: Uint8Array, offsets: Uint32Array): void;
  memAlloc(bytes: number): Handle;
  memFree(ptr: Handle): void;
  memAllocHost(bytes: number): ArrayBuffer;
  memcpyHtoDAsync(dst: Handle, src: ArrayBufferView, stream: Handle): void;
  memcpyDtoHAsync(dst: ArrayBufferView, src: Handle, stream: Handle): void;
  memsetD8Async(ptr: Handle, value: number, bytes: number, stream: Handle): void;
  streamCreate(): Handle;
  streamDestroy(s: Handle): void;
  streamSynchronize(s: Handle): void;
  eventCreate(): Handle;
  eventDestroy(e: Handle): void;
  eventRecord(e: Handle, s: Handle): void;
  eventSynchronize(e: Handle): void;
  eventElapsedTime(start: Handle, end: Handle): number;
  streamBeginCapture(s: Handle): void;
  streamEndCapture(s: Handle): Handle;
  graphInstantiate(graph: Handle): Handle;
  graphLaunch(exec: Handle, s: Handle): void;
  graphExecDestroy(exec: Handle): void;
  graphDestroy(graph: Handle): void;
  graphCreate(): Handle;
  /** A kernel node ordered after `after` (null: a root); returns the node. */
  graphAddKernel(graph: Handle, after: Handle | null, fn: Handle, grid: Dims3, block: Dims3, smem: number, args: Uint8Array, offsets: Uint32Array): Handle;
  /** New grid and arguments for a kernel node of an instantiated graph. */
  graphSetKernel(exec: Handle, node: Handle, fn: Handle, grid: Dims3, block: Dims3, smem: number, args: Uint8Array, offsets: Uint32Array): void;
  hostOpen(path: string): Handle;
  hostClose(lib: Handle): void;
  hostLaunch(lib: Handle, name: string, grid: Dims3, block: Dims3, smem: number, args: Uint8Array, offsets: Uint32Array): void;
  hostAlloc(bytes: number): Handle;
  hostFree(ptr: Handle): void;
  hostCopy(dst: Handle | ArrayBufferView, src: Handle | ArrayBufferView): void;
  hostMemset(ptr: Handle, value: number, bytes: number): void;
}

export interface CudaCallInfo {
  call: string;
  where: string;
  code: number;
  message: string;
}

/** A failed driver call: which call, where in the addon, and the driver's error string. */
export class CudaError extends Error {
  readonly call: string;
  readonly where: string;
  readonly code: number;
  constructor(info: CudaCallInfo) {
    super(`[cuda] ${info.call} failed at ${info.where}: ${info.message}`);
    this.name = "CudaError";
    this.call = info.call;
    this.where = info.where;
    this.code = info.code;
  }
}

/** Candidate addon locations: an override, beside a bundled script, then the cmake-js output. */
function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const out: string[] = [];
  if (process.env.MW_CUDA_ADDON) out.push(process.env.MW_CUDA_ADDON);
  out.push(join(here, "mw_cuda.node"));
  out.push(join(here, "..", "build", "Release", "mw_cuda.node"));
  return out;
}

let cached: NativeAddon | undefined;
let loadError: string | undefined;

/** The addon, or undefined with `addonError()` saying why it is missing. */
export function nativeAddon(): NativeAddon | undefined {
  if (cached || loadError) return cached;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    loadError = "the cuda-backend native addon is not built (run `pnpm --filter @max-whisper/cuda-backend build:native`)";
    return undefined;
  }
  try {
    const req = createRequire(import.meta.url);
    cached = req(path) as NativeAddon;
    cached.setErrorClass(CudaError);
  } catch (e) {
    loadError = `the cuda-backend native addon failed to load: ${(e as Error).message}`;
  }
  return cached;
}

export function addonError(): string | undefined {
  nativeAddon();
  return loadError;
}

export function requireAddon(): NativeAddon {
  const a = nativeAddon();
  if (!a) throw new Error(`[cuda] ${loadError}`);
  return a;
}
