// PyTorch on the CPU as a peer, through Debian's python3-torch at /usr/bin/python3 (a python3
// found earlier on PATH may not see it). Absent torch is a printed skip reason, not a failure.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor } from "@max-whisper/graph";
import type { Summary } from "../stats.js";

export const TORCH_PYTHON = process.env.MW_TORCH_PYTHON ?? "/usr/bin/python3";

/** null when torch is importable, else the reason it is not. */
export function torchUnavailable(): string | null {
  try {
    execFileSync(TORCH_PYTHON, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 });
    return null;
  } catch {
    return `${TORCH_PYTHON} cannot import torch (install Debian's python3-torch)`;
  }
}

export interface TorchCase {
  name: string;
  expr: string;
  inputs: Tensor[];
}

export interface TorchResult {
  name: string;
  ok: boolean;
  error?: string;
  ms?: Summary;
  output?: Tensor;
}

export function runTorchCases(cases: TorchCase[], threads = os.cpus().length, minTimeS = 0.3): { version: string; blas: string; results: TorchResult[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mw-torch-"));
  try {
    const job = {
      threads, min_time_s: minTimeS, result: path.join(dir, "result.json"),
      cases: cases.map((c, ci) => ({
        name: c.name, expr: c.expr, out: path.join(dir, `out${ci}.bin`),
        inputs: c.inputs.map((t, i) => {
          const file = path.join(dir, `in${ci}_${i}.bin`);
          writeFileSync(file, t.bytes());
          return { file, dtype: t.dtype, shape: t.shape };
        }),
      })),
    };
    writeFileSync(path.join(dir, "job.json"), JSON.stringify(job));
    const script = fileURLToPath(new URL("./torch_ops.py", import.meta.url));
    const r = spawnSync(TORCH_PYTHON, [script, path.join(dir, "job.json")], { encoding: "utf8", timeout: 30 * 60_000 });
    if (r.status !== 0) throw new Error(`torch peer failed: ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(readFileSync(job.result, "utf8")) as { torch: string; blas: string; results: { name: string; ok: boolean; error?: string; shape?: number[]; ms?: number[]; median?: number; p10?: number; p90?: number }[] };
    return {
      version: out.torch,
      blas: out.blas,
      results: out.results.map((x, i) => {
        if (!x.ok) return { name: x.name, ok: false, error: x.error };
        const ms = x.ms!;
        const output = Tensor.fromBytes("f32", x.shape!, readFileSync(job.cases[i]!.out));
        return { name: x.name, ok: true, output, ms: { n: ms.length, median: x.median!, p10: x.p10!, p90: x.p90!, min: Math.min(...ms), max: Math.max(...ms) } };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
