// Compiling generated C++ into shared libraries with the system compiler, cached on disk by the
// sha256 of source + flags + compiler version. Writes are atomic (temp file + rename), so
// concurrent processes share entries; an entry that fails to load is rebuilt, never trusted.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Header directory of mw_runtime.h (the ABI generated code compiles against). */
export const RUNTIME_INCLUDE_DIR = fileURLToPath(new URL("../native/include", import.meta.url));

export const CXX_FLAGS: readonly string[] = [
  "-O3", "-march=native", "-shared", "-fPIC", "-std=c++17", "-fvisibility=hidden",
  // Vectorise `#pragma omp simd` loops and reductions, and if-convert the branch-free math,
  // without -ffast-math: NaN/inf semantics and IEEE rounding stay as the reference expects.
  "-fopenmp-simd", "-fno-math-errno", "-fno-trapping-math", "-fwrapv", "-w",
];

export class CompileError extends Error {
  constructor(message: string, readonly sourcePath: string, readonly output: string) {
    super(message);
    this.name = "CompileError";
  }
}

/** $MAX_WHISPER_CACHE, else $XDG_CACHE_HOME/max-whisper, else ~/.cache/max-whisper. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAX_WHISPER_CACHE) return env.MAX_WHISPER_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "max-whisper");
  return join(homedir(), ".cache", "max-whisper");
}

/** The compiler command: $CXX, else c++, else g++. */
export function compilerCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.CXX || "c++";
}

const versions = new Map<string, Promise<string>>();

/** `<cxx> --version` (first line), memoised per compiler; throws a clear error when missing. */
export function compilerVersion(cxx = compilerCommand()): Promise<string> {
  let v = versions.get(cxx);
  if (!v) {
    v = (async () => {
      for (const cmd of cxx === "c++" ? ["c++", "g++"] : [cxx]) {
        try {
          const { stdout } = await run(cmd, ["--version"]);
          resolvedCompiler.set(cxx, cmd);
          return stdout.split("\n")[0]!.trim();
        } catch {
          // try the next name
        }
      }
      throw new CompileError(`[cpu-backend] no C++ compiler found: tried ${cxx === "c++" ? "c++ and g++" : cxx} (set $CXX or install g++)`, "", "");
    })();
    versions.set(cxx, v);
    v.catch(() => versions.delete(cxx));
  }
  return v;
}
const resolvedCompiler = new Map<string, string>();

export interface CacheEntry {
  /** Path of the shared library. */
  readonly path: string;
  /** Path of the generated source kept next to it (for error messages and debugging). */
  readonly sourcePath: string;
  readonly key: string;
  /** True when the library was already in the cache. */
  readonly hit: boolean;
}

export interface CompileOptions {
  /** Override the cache folder (tests). */
  cacheDir?: string;
  cxx?: string;
  extraFlags?: readonly string[];
}

function cpuDir(opts: CompileOptions): string {
  return join(opts.cacheDir ?? cacheRoot(), "cpu");
}

/** The cache key and paths of a source, without compiling. */
export async function cacheKey(source: string, opts: CompileOptions = {}): Promise<{ key: string; path: string; sourcePath: string }> {
  const cxx = opts.cxx ?? compilerCommand();
  const version = await compilerVersion(cxx);
  const flags = [...CXX_FLAGS, ...(opts.extraFlags ?? [])];
  // -march=native code is only valid on this CPU model: a cache folder shared between machines
  // (a network home) must not hand one machine another's instructions.
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  const key = createHash("sha256").update(source).update("\0").update(flags.join(" ")).update("\0").update(version)
    .update("\0").update(cpu).digest("hex");
  const dir = cpuDir(opts);
  return { key, path: join(dir, `${key}.so`), sourcePath: join(dir, `${key}.cpp`) };
}

/** Builds in flight in this process, by library path: concurrent compiles of one graph share one. */
const inflight = new Map<string, Promise<CacheEntry>>();

/** Compile (or find in the cache) the library for a source. */
export async function compileCached(source: string, opts: CompileOptions = {}, force = false): Promise<CacheEntry> {
  const { key, path, sourcePath } = await cacheKey(source, opts);
  if (!force && existsSync(path)) return { path, sourcePath, key, hit: true };
  const running = inflight.get(path);
  if (running) return running;
  const build = buildLibrary(source, opts, key, path, sourcePath).finally(() => inflight.delete(path));
  inflight.set(path, build);
  return build;
}

async function buildLibrary(source: string, opts: CompileOptions, key: string, path: string, sourcePath: string): Promise<CacheEntry> {
  const dir = cpuDir(opts);
  mkdirSync(dir, { recursive: true });
  const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  // The source is written atomically too: a reader never sees half a file.
  const srcTmp = `${sourcePath}.${tag}.tmp`;
  writeFileSync(srcTmp, source);
  renameSync(srcTmp, sourcePath);
  const cxx = opts.cxx ?? compilerCommand();
  const cmd = resolvedCompiler.get(cxx) ?? cxx;
  const out = `${path}.${tag}.tmp`;
  const args = [...CXX_FLAGS, ...(opts.extraFlags ?? []), `-I${RUNTIME_INCLUDE_DIR}`, "-o", out, sourcePath];
  try {
    await run(cmd, args, { maxBuffer: 64 << 20 });
  } catch (e) {
    rmSync(out, { force: true });
    const err = e as { stderr?: string; stdout?: string; code?: string | number; message: string };
    const output = `${err.stderr ?? ""}${err.stdout ?? ""}`.trim() || err.message;
    if (err.code === "ENOENT")
      throw new CompileError(`[cpu-backend] C++ compiler '${cmd}' not found (generated source: ${sourcePath})`, sourcePath, output);
    throw new CompileError(
      `[cpu-backend] compiling the generated kernels failed (source: ${sourcePath}, command: ${cmd} ${args.join(" ")}):\n${output.slice(0, 8000)}`,
      sourcePath, output,
    );
  }
  renameSync(out, path);
  return { path, sourcePath, key, hit: false };
}

/**
 * Compile through the cache and load with `load`; a cached library that fails to load (corrupt,
 * truncated, wrong ABI) is deleted and rebuilt once.
 */
export async function compileAndLoad<L>(source: string, load: (path: string) => L, opts: CompileOptions = {}): Promise<{ lib: L; entry: CacheEntry; rebuilt: boolean }> {
  const entry = await compileCached(source, opts);
  try {
    return { lib: load(entry.path), entry, rebuilt: false };
  } catch (e) {
    if (!entry.hit) throw e;
    rmSync(entry.path, { force: true });
    const fresh = await compileCached(source, opts, true);
    return { lib: load(fresh.path), entry: fresh, rebuilt: true };
  }
}
