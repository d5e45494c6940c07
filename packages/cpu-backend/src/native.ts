// Typed loader for the cpu-backend native addon (build/Release/mw_cpu.node): GEMM, attention,
// generated-library loading (and the state its runs keep), aligned arenas, threads, ISA choice
// and machine-limit probes.
// The code generator and backend registration live elsewhere in this package.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export type CpuIsa = "avx512" | "avx2" | "generic";
export type GemmBDtype = "f32" | "f16" | "bf16";

export interface CpuInfo {
  model: string;
  cores: number;
  /** The ISA the kernels currently use (MW_CPU_ISA or setIsa can lower it). */
  isa: CpuIsa;
  /** The best ISA this CPU supports. */
  bestIsa: CpuIsa;
  flags: string[];
}

/** C[b] = alpha · A[b] · B[b]. Strides are in elements; 0 broadcasts; defaults are row-major. */
export interface SgemmOptions {
  m: number;
  n: number;
  k: number;
  batch?: number;
  a: Float32Array;
  /** [batch, row, col], default [m*k, k, 1] */
  aStrides?: readonly [number, number, number];
  /** f32 data, or raw f16/bf16 bits in a Uint16Array (then bDtype is required). */
  b: Float32Array | Uint16Array;
  bDtype?: GemmBDtype;
  /** [batch, row (along k), col (along n)], default [k*n, n, 1] */
  bStrides?: readonly [number, number, number];
  c: Float32Array;
  /** [batch, row]; columns are contiguous. Default [m*n, n] */
  cStrides?: readonly [number, number];
  alpha?: number;
}

/** out = softmax(scale · Q·Kᵀ + mask) · V per (batch, head); rows strided, columns contiguous. */
export interface AttentionOptions {
  batch?: number;
  heads?: number;
  lq: number;
  lk: number;
  d: number;
  dv?: number;
  q: Float32Array;
  /** f32, or f16/bf16 raw bits (Uint16Array) with kvDtype. */
  k: Float32Array | Uint16Array;
  v: Float32Array | Uint16Array;
  kvDtype?: "f32" | "f16" | "bf16";
  out: Float32Array;
  /** [batch, head, row] strides; defaults are contiguous [batch, heads, rows, d]. */
  qStrides?: readonly [number, number, number];
  kStrides?: readonly [number, number, number];
  vStrides?: readonly [number, number, number];
  outStrides?: readonly [number, number, number];
  /** Additive f32 mask indexed [b, h, i, j] through maskStrides (0 broadcasts). */
  mask?: Float32Array;
  maskStrides?: readonly [number, number, number, number];
  /** Default 1/sqrt(d). */
  scale?: number;
  /** Query i sees keys j <= i + (lk - lq). */
  causal?: boolean;
}

/** An opaque handle to a loaded generated library; unloaded when collected or by unloadLibrary. */
export type NativeLibrary = { readonly __nativeLibrary: unique symbol };
export type NativeBuffer = ArrayBufferView | ArrayBuffer | null | undefined;

export interface CpuNative {
  readonly abiVersion: number;
  sgemm(opts: SgemmOptions): void;
  attention(opts: AttentionOptions): void;
  loadLibrary(path: string): NativeLibrary;
  /**
   * Runs the library's mw_run. `state` (from allocState, at least stateSlots(lib) slots) keeps
   * what runs may reuse, such as weights packed for the GEMM micro-kernel; null keeps nothing.
   */
  runLibrary(lib: NativeLibrary, buffers: readonly NativeBuffer[], dims?: BigInt64Array | Float64Array, state?: ArrayBuffer | null): void;
  unloadLibrary(lib: NativeLibrary): void;
  /** How many state slots the library's runs may fill. */
  stateSlots(lib: NativeLibrary): number;
  /** Zeroed state slots; what runs keep in them is freed by releaseState or on collection. */
  allocState(slots: number): ArrayBuffer;
  /** Frees what runs kept in `state` (the slots stay usable and fill again on the next run). */
  releaseState(state: ArrayBuffer): void;
  /** Bytes of packed weights kept in state slots across the process (MW_CPU_PACKED_MB caps it). */
  packedBytes(): number;
  /** A zeroed, 64-byte aligned ArrayBuffer outside the JS heap, freed when collected. */
  allocAligned(bytes: number): ArrayBuffer;
  /** Advise huge pages for the untouched 2 MB extents inside `buf`; false when nothing was advised. */
  adviseHugePages(buf: ArrayBufferView): boolean;
  cpuInfo(): CpuInfo;
  threads(): number;
  /** Resizes the pool (0 = all cores); returns the new count. */
  setThreads(n: number): number;
  /** Forces an ISA for the kernels (throws if the CPU lacks it); returns the ISA now in use. */
  setIsa(isa: CpuIsa): CpuIsa;
  /** Tight FMA loop on all threads for `ms` milliseconds, best ISA: GFLOP/s. */
  peakFma(ms?: number): number;
  /** STREAM triad a = b + s·c over three arrays of `bytes` each: GB/s counting 3 arrays moved. */
  triad(bytes?: number, reps?: number): number;
}

/** Where the addon is expected after `pnpm install` (cmake-js output). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL("../build/Release/mw_cpu.node", import.meta.url));

let cached: CpuNative | undefined;
let loadError: Error | undefined;

/** The addon, loaded once. Throws a clear error if it was not built. */
export function loadNative(): CpuNative {
  if (cached) return cached;
  if (loadError) throw loadError;
  const require = createRequire(import.meta.url);
  try {
    cached = require(NATIVE_ADDON_PATH) as CpuNative;
    return cached;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const missing = (e as NodeJS.ErrnoException)?.code === "MODULE_NOT_FOUND";
    loadError = new Error(
      missing
        ? `[cpu-backend] native addon not found at ${NATIVE_ADDON_PATH}: run pnpm install to build the cpu-backend addon`
        : `[cpu-backend] cannot load native addon ${NATIVE_ADDON_PATH}: ${why}`,
      { cause: e },
    );
    throw loadError;
  }
}

/** True when the addon is built and loads (for callers that pick a backend). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/** Symbolic dim values as the int64 array mw_run expects. */
export function dimsArray(dims: readonly (number | bigint)[]): BigInt64Array {
  const out = new BigInt64Array(dims.length);
  dims.forEach((d, i) => {
    if (typeof d === "number" && !Number.isInteger(d)) {
      throw new Error(`[runLibrary] dims[${i}]: expected an integer, got ${d}`);
    }
    out[i] = BigInt(d);
  });
  return out;
}

// Named wrappers, so callers can `import { sgemm } from "@max-whisper/cpu-backend/native"`;
// each loads the addon on first use.
export const sgemm = (opts: SgemmOptions): void => loadNative().sgemm(opts);
export const attention = (opts: AttentionOptions): void => loadNative().attention(opts);
export const loadLibrary = (path: string): NativeLibrary => loadNative().loadLibrary(path);
export const runLibrary = (lib: NativeLibrary, buffers: readonly NativeBuffer[], dims?: BigInt64Array | Float64Array, state?: ArrayBuffer | null): void =>
  loadNative().runLibrary(lib, buffers, dims, state);
export const unloadLibrary = (lib: NativeLibrary): void => loadNative().unloadLibrary(lib);
export const allocAligned = (bytes: number): ArrayBuffer => loadNative().allocAligned(bytes);
export const cpuInfo = (): CpuInfo => loadNative().cpuInfo();
export const threads = (): number => loadNative().threads();
export const setThreads = (n: number): number => loadNative().setThreads(n);
export const setIsa = (isa: CpuIsa): CpuIsa => loadNative().setIsa(isa);
export const peakFma = (ms?: number): number => loadNative().peakFma(ms);
export const triad = (bytes?: number, reps?: number): number => loadNative().triad(bytes, reps);
