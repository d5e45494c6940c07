// Turns CUDA C source into something loadable: a cubin from nvcc for a GPU arch, or (for the
// CPU harness) a shared library from g++ with -DMW_HOST_HARNESS. Both are cached on disk by
// sha256(source, target, flags, compiler version).

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cudaCacheDir, publishEntry, sha256, verifiedEntry, writeAtomic } from "./cache.js";

/** Folder holding mw_cuda.cuh and harness/ (native/include), overridable for bundles. */
export function includeDir(): string {
  if (process.env.MW_CUDA_INCLUDE) return process.env.MW_CUDA_INCLUDE;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, "native", "include"), join(here, "..", "native", "include")])
    if (existsSync(join(p, "mw_cuda.cuh"))) return p;
  return join(here, "..", "native", "include");
}

/** The headers' text, part of every cache key (a header edit must invalidate cubins). */
let headerHash: string | undefined;
function headersKey(): string {
  if (!headerHash) {
    const inc = includeDir();
    headerHash = sha256(readFileSync(join(inc, "mw_cuda.cuh")), readFileSync(join(inc, "..", "harness", "cuda_host.h")));
  }
  return headerHash;
}

let nvccPath: string | null | undefined;
/** nvcc from $CUDA_HOME/bin, then PATH, then /usr/local/cuda/bin; null when absent. */
export function findNvcc(): string | null {
  if (nvccPath !== undefined) return nvccPath;
  const dirs: string[] = [];
  for (const v of [process.env.CUDA_HOME, process.env.CUDA_PATH]) if (v) dirs.push(join(v, "bin"));
  dirs.push(...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/local/cuda/bin");
  nvccPath = dirs.map((d) => join(d, "nvcc")).find((p) => existsSync(p)) ?? null;
  return nvccPath;
}

let nvccVer: string | undefined;
export function nvccVersion(): string {
  const nvcc = findNvcc();
  if (!nvcc) throw new Error("[cuda] nvcc not found: install the CUDA toolkit or set CUDA_HOME");
  nvccVer ??= execFileSync(nvcc, ["--version"], { encoding: "utf8" }).trim().split("\n").pop()!;
  return nvccVer;
}

// No -lineinfo: it triples cubin size (carried caches) for profiler source lines only.
export const NVCC_FLAGS = ["-std=c++17", "-O3"] as const;

export interface CompileStats {
  hits: number;
  misses: number;
}
export const compileStats: CompileStats = { hits: 0, misses: 0 };

function runCompiler(exe: string, args: string[], what: string, source: string): void {
  const r = spawnSync(exe, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const log = `${r.stderr ?? ""}${r.stdout ?? ""}${r.error ? String(r.error) : ""}`.trim();
    const numbered = source.split("\n").map((l, i) => `${String(i + 1).padStart(4)}| ${l}`).join("\n");
    throw new Error(`[cuda] ${what} failed:\n${log.slice(0, 4000)}\n--- source ---\n${numbered.slice(0, 20000)}`);
  }
}

/** As runCompiler, without blocking the event loop (long nvcc runs inside test workers). */
function runCompilerAsync(exe: string, args: string[], what: string, source: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const p = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout.on("data", (d) => (log += d));
    p.stderr.on("data", (d) => (log += d));
    p.on("error", (e) => reject(new Error(`[cuda] ${what} failed to start: ${e.message}`)));
    p.on("close", (code) => {
      if (code === 0) return resolve();
      const numbered = source.split("\n").map((l, i) => `${String(i + 1).padStart(4)}| ${l}`).join("\n");
      reject(new Error(`[cuda] ${what} failed:\n${log.trim().slice(0, 4000)}\n--- source ---\n${numbered.slice(0, 20000)}`));
    });
  });
}

/** Where compileCubin keeps the nvcc-version-free copy of a cubin (what bundles carry). */
export function portableCubinPath(source: string, arch: string, extraFlags: readonly string[] = []): string {
  const flags = [...NVCC_FLAGS, ...extraFlags];
  return join(cudaCacheDir("cubin"), `${sha256(source, headersKey(), arch, flags.join(" "))}.any.cubin`);
}

/** Compile (or find) a cubin and copy its portable cache entry into another cache root. */
export function exportCubin(source: string, arch: string, intoRoot: string): void {
  const bytes = compileCubin(source, arch);
  const dir = join(intoRoot, "cuda", "cubin");
  mkdirSync(dir, { recursive: true });
  const to = join(dir, basename(portableCubinPath(source, arch)));
  writeAtomic(`${to}.sha256`, sha256(bytes));
  writeAtomic(to, bytes);
}

/** A verified cache entry's bytes, counted as a hit; undefined (not counted) when absent. */
function cachedBytes(path: string): Uint8Array | undefined {
  const hit = verifiedEntry(path);
  if (!hit) return undefined;
  compileStats.hits++;
  return readFileSync(hit);
}

/**
 * Runs a compiler step in a fresh temp folder holding the source as k.cu, and removes the folder
 * afterwards (once the promise settles, for an async step).
 */
function inWorkDir<T>(prefix: string, source: string, step: (src: string, dir: string) => T): T {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  let pending = false;
  try {
    const src = join(work, "k.cu");
    writeFileSync(src, source);
    const r = step(src, work);
    if (r instanceof Promise) {
      pending = true;
      return r.finally(cleanup) as T;
    }
    return r;
  } finally {
    if (!pending) cleanup();
  }
}

/**
 * Compile to a cubin for `arch` (e.g. "sm_90"). Without nvcc, a cubin cached earlier for the same
 * source, arch and flags (by any nvcc) is used, so prebuilt caches can travel to GPU machines.
 */
export function compileCubin(source: string, arch: string, extraFlags: readonly string[] = []): Uint8Array {
  if (!/^sm_\d+a?$/.test(arch)) throw new Error(`[cuda] bad arch: expected sm_XY, got '${arch}'`);
  const flags = [...NVCC_FLAGS, ...extraFlags];
  const portable = sha256(source, headersKey(), arch, flags.join(" "));
  const dir = cudaCacheDir("cubin");
  const portablePath = join(dir, `${portable}.any.cubin`);
  // MW_CUDA_PREBUILT=1: trust cubins prebuilt elsewhere (bundled GPU runs) even where nvcc exists.
  if (!findNvcc() || process.env.MW_CUDA_PREBUILT === "1") {
    const hit = cachedBytes(portablePath);
    if (hit) return hit;
    if (!findNvcc()) nvccVersion(); // throws the 'nvcc not found' sentence
  }
  const key = sha256(source, headersKey(), arch, flags.join(" "), nvccVersion());
  const file = join(dir, `${key}.cubin`);
  const hit = cachedBytes(file);
  if (hit) return hit;
  compileStats.misses++;
  return inWorkDir("mw-nvcc-", source, (src, work) => {
    const out = join(work, "k.cubin");
    runCompiler(findNvcc()!, ["-cubin", `-arch=${arch}`, ...flags, "-I", includeDir(), src, "-o", out], `nvcc -arch=${arch}`, source);
    const bytes = readFileSync(out);
    publishEntry(out, file);
    publishEntry(out, portablePath);
    return bytes;
  });
}

/**
 * One nvcc invocation building `source` for several archs (a fatbin), the archs compiled in
 * parallel. Used ahead of time (tests, prebuilds) where nvcc startup dominates. Async, so a
 * test worker stays responsive while nvcc runs for minutes.
 */
export async function compileFatbin(source: string, archs: readonly string[], extraFlags: readonly string[] = []): Promise<Uint8Array> {
  for (const a of archs) if (!/^sm_\d+a?$/.test(a)) throw new Error(`[cuda] bad arch: expected sm_XY, got '${a}'`);
  const flags = [...NVCC_FLAGS, ...extraFlags];
  const key = sha256(source, headersKey(), archs.join(","), flags.join(" "), nvccVersion());
  const file = join(cudaCacheDir("fatbin"), `${key}.fatbin`);
  const hit = cachedBytes(file);
  if (hit) return hit;
  compileStats.misses++;
  return inWorkDir("mw-nvcc-", source, async (src, work) => {
    const out = join(work, "k.fatbin");
    const gencode = archs.flatMap((a) => ["-gencode", `arch=compute_${a.slice(3)},code=${a}`]);
    await runCompilerAsync(findNvcc()!, ["-fatbin", ...gencode, `--threads=${archs.length}`, ...flags, "-I", includeDir(), src, "-o", out], `nvcc ${archs.join(",")}`, source);
    publishEntry(out, file);
    return readFileSync(file);
  });
}

let cxxVer: string | undefined;
function cxx(): string {
  return process.env.CXX ?? "g++";
}
export const HOST_FLAGS = ["-std=c++17", "-O1", "-shared", "-fPIC", "-DMW_HOST_HARNESS", "-w"] as const;

function hostEntry(source: string): string {
  cxxVer ??= execFileSync(cxx(), ["--version"], { encoding: "utf8" }).split("\n")[0]!;
  const key = sha256(source, headersKey(), HOST_FLAGS.join(" "), cxxVer);
  return join(cudaCacheDir("host"), `${key}.so`);
}

/** compileHost without blocking the event loop (tests warm the cache with it). */
export async function compileHostAsync(source: string): Promise<string> {
  const file = hostEntry(source);
  if (verifiedEntry(file)) return file;
  return inWorkDir("mw-host-", source, async (src, work) => {
    const out = join(work, "k.so");
    await runCompilerAsync(cxx(), [...HOST_FLAGS, "-I", includeDir(), "-x", "c++", src, "-o", out], "g++ (CUDA host harness)", source);
    publishEntry(out, file);
    return file;
  });
}

/** Compile generated CUDA source for the CPU harness; returns the cached .so path. */
export function compileHost(source: string): string {
  const file = hostEntry(source);
  const hit = verifiedEntry(file);
  if (hit) {
    compileStats.hits++;
    return hit;
  }
  compileStats.misses++;
  return inWorkDir("mw-host-", source, (src, work) => {
    const out = join(work, "k.so");
    runCompiler(cxx(), [...HOST_FLAGS, "-I", includeDir(), "-x", "c++", src, "-o", out], "g++ (CUDA host harness)", source);
    publishEntry(out, file);
    return file;
  });
}
