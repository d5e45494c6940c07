// whisper.cpp as a peer, built natively on this machine. The npm package nodejs-whisper@0.3.1
// ships whisper.cpp 1.9.1's full source tree; it is packed into a cache folder on first use and
// built with CMake and -DGGML_NATIVE=ON (the prebuilt Node bindings are generic builds without
// AVX2/FMA, which would not be whisper.cpp's speed).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const WHISPER_CPP_PACKAGE = "nodejs-whisper@0.3.1";

export function benchCacheDir(): string {
  const base = process.env.MAX_WHISPER_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "max-whisper");
  return path.join(base, "bench");
}

export interface WhisperCppBuild {
  bench: string;
  cli: string;
  version: string;
}

/** Build (or reuse) whisper-bench and whisper-cli; throws with the reason when impossible. */
export function ensureWhisperCpp(log: (s: string) => void = () => {}): WhisperCppBuild {
  const root = path.join(benchCacheDir(), "whisper.cpp");
  const src = path.join(root, "package", "cpp", "whisper.cpp");
  const binDir = path.join(src, "build", "bin");
  const bench = path.join(binDir, "whisper-bench"), cli = path.join(binDir, "whisper-cli");
  if (existsSync(bench) && existsSync(cli)) return { bench, cli, version: "1.9.1 (nodejs-whisper@0.3.1)" };
  for (const tool of ["cmake", "c++"]) {
    if (spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0) throw new Error(`${tool} is not installed`);
  }
  if (!existsSync(src)) {
    log(`whisper.cpp: fetching ${WHISPER_CPP_PACKAGE} from the npm registry`);
    const tmp = `${root}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    try {
      execFileSync("npm", ["pack", WHISPER_CPP_PACKAGE, "--silent"], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
      const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
      if (!tgz) throw new Error("npm pack produced no tarball");
      execFileSync("tar", ["xzf", tgz], { cwd: tmp });
      rmSync(root, { recursive: true, force: true });
      renameSync(tmp, root);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`cannot fetch whisper.cpp sources: ${(e as Error).message}`);
    }
  }
  log("whisper.cpp: building whisper-bench and whisper-cli (GGML_NATIVE=ON; several minutes on 2 cores)");
  const run = (args: string[]) => {
    const r = spawnSync("cmake", args, { cwd: src, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`whisper.cpp build failed: cmake ${args.join(" ")}\n${(r.stdout + r.stderr).slice(-3000)}`);
  };
  run(["-B", "build", "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON", "-DWHISPER_BUILD_TESTS=OFF", "-DBUILD_SHARED_LIBS=OFF"]);
  run(["--build", "build", "-j", String(os.cpus().length), "--target", "whisper-bench", "whisper-cli"]);
  return { bench, cli, version: "1.9.1 (nodejs-whisper@0.3.1)" };
}

export interface WhisperCppTimings {
  encodeMs: number;
  decodeMsPerToken: number;
  flashAttention: boolean;
}

/** whisper-bench prints encoder ms and decode ms per token on fixed work. */
export function parseBenchOutput(text: string): { encodeMs: number; decodeMsPerToken: number } {
  const enc = text.match(/encode time =\s*([\d.]+) ms \/\s*(\d+) runs \(\s*([\d.]+) ms per run\)/);
  const dec = text.match(/decode time =\s*([\d.]+) ms \/\s*(\d+) runs \(\s*([\d.]+) ms per run\)/);
  if (!enc || !dec) throw new Error(`cannot read whisper-bench timings from its output:\n${text.slice(-1500)}`);
  return { encodeMs: Number(enc[3]), decodeMsPerToken: Number(dec[3]) };
}

/** Run whisper-bench with and without flash attention; return both (the caller takes the better). */
export function runWhisperBench(build: WhisperCppBuild, model: string, threads: number): WhisperCppTimings[] {
  const out: WhisperCppTimings[] = [];
  for (const fa of [true, false]) {
    const r = spawnSync(build.bench, ["-m", model, "-t", String(threads), fa ? "-fa" : "-nfa"], { encoding: "utf8", timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`whisper-bench failed (${fa ? "-fa" : "-nfa"}): ${(r.stderr || r.stdout).slice(-1500)}`);
    out.push({ ...parseBenchOutput(r.stdout + r.stderr), flashAttention: fa });
  }
  return out;
}
