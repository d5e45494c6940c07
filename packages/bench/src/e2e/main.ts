// `pnpm bench:e2e`: the end-to-end fair benchmark. The same weights (a real checkpoint with
// --model, else a seeded random tiny.en-shaped model), the same audio (samples/jfk.wav), the same
// greedy decode of a fixed number of tokens, for every system side by side in one run:
// max-whisper on each available device, onnxruntime-node on this project's ONNX export,
// whisper.cpp (native build) on this project's ggml export, and PyTorch CPU running the small
// reference Whisper in ref_whisper.py. Each system runs in its own process (its own peak RSS).
//   flags: --model DIR  --tokens N  --runs N  --devices cpu,cuda  --skip ort,whispercpp,torch  --out DIR

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { resolveBackend } from "@max-whisper/graph";
import { exportModelToGgml } from "@max-whisper/whisper";
import { machineInfo } from "../machine.js";
import { type CaseResult, writeReport } from "../report.js";
import { summarize } from "../stats.js";
import { TORCH_PYTHON, torchUnavailable } from "../peers/torch.js";
import { ensureWhisperCpp, runWhisperBench } from "../peers/whispercpp.js";
import { ensureRandomModel } from "./model.js";
import type { StageRun } from "./run-node.js";

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const { values: flags } = parseArgs({
  options: {
    model: { type: "string" },
    tokens: { type: "string", default: "32" },
    runs: { type: "string", default: "5" },
    devices: { type: "string", default: "cpu,cuda" },
    skip: { type: "string", default: "" },
    audio: { type: "string", default: path.join(ROOT, "samples/jfk.wav") },
    out: { type: "string", default: path.join(ROOT, "docs/benchmarks") },
  },
});
const log = (s: string) => process.stderr.write(`${s}\n`);
const skip = new Set(flags.skip!.split(",").filter(Boolean));
const nTokens = Number(flags.tokens), runs = Number(flags.runs), threads = os.cpus().length;
const AUDIO_S = 11;

interface SystemResult {
  system: string;
  status: "ok" | "skipped" | "error";
  reason?: string;
  runs?: StageRun[];
  maxRssMiB?: number;
  note?: string;
}

function runNodeSystem(system: "ort" | "max-whisper" | "max-whisper-f16", device: string, modelDir: string): SystemResult {
  const label = system === "ort" ? "onnxruntime-node" : `max-whisper ${device}${system.endsWith("f16") ? " (f16 weights)" : ""}`;
  const script = fileURLToPath(new URL("./run-node.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", script, system, device, modelDir, flags.audio!, String(nTokens), String(runs), String(threads)], {
    encoding: "utf8", cwd: ROOT, timeout: 60 * 60_000, maxBuffer: 64 << 20,
  });
  if (r.status !== 0) return { system: label, status: "error", reason: (r.stderr || "").trim().split("\n").slice(-3).join(" ").slice(0, 300) };
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { runs: StageRun[]; maxRssMiB: number };
  return { system: label, status: "ok", runs: out.runs, maxRssMiB: out.maxRssMiB };
}

function runTorch(modelDir: string): SystemResult {
  const why = torchUnavailable();
  if (why) return { system: "torch cpu (eager)", status: "skipped", reason: why };
  const script = fileURLToPath(new URL("./ref_whisper.py", import.meta.url));
  const filters = path.join(ROOT, "packages/whisper/assets/mel_filters_80.bin");
  const r = spawnSync(TORCH_PYTHON, [script, modelDir, flags.audio!, String(nTokens), String(runs), String(threads), filters], { encoding: "utf8", timeout: 60 * 60_000 });
  if (r.status !== 0) return { system: "torch cpu (eager)", status: "error", reason: r.stderr.trim().split("\n").slice(-2).join(" ").slice(0, 300) };
  const out = JSON.parse(r.stdout) as { torch: string; runs: StageRun[]; max_rss_mib: number };
  return { system: "torch cpu (eager)", status: "ok", runs: out.runs, maxRssMiB: out.max_rss_mib, note: `PyTorch ${out.torch}` };
}

function runWhisperCpp(modelDir: string): SystemResult {
  const system = "whisper.cpp (f16)";
  try {
    const build = ensureWhisperCpp(log);
    const ggml = path.join(modelDir, "ggml-model-f16.bin");
    if (!existsSync(ggml)) return { system, status: "error", reason: "the ggml export of the weights failed" };
    const timings = runWhisperBench(build, ggml, threads);
    const best = timings.reduce((a, b) => (a.encodeMs + nTokens * a.decodeMsPerToken <= b.encodeMs + nTokens * b.decodeMsPerToken ? a : b));
    // whisper-bench measures fixed work per stage; the whole job is composed from its stages.
    const run: StageRun = {
      total_ms: best.encodeMs + nTokens * best.decodeMsPerToken, load_ms: NaN, mel_ms: NaN,
      encoder_ms: best.encodeMs, decode_ms: nTokens * best.decodeMsPerToken, tokens: [],
    };
    return { system, status: "ok", runs: [run], note: `whisper-bench ${best.flashAttention ? "-fa" : "-nfa"} (the better of both); total = encoder + ${nTokens} × decode` };
  } catch (e) {
    return { system, status: "skipped", reason: (e as Error).message.split("\n")[0]!.slice(0, 300) };
  }
}

async function main() {
  const machine = machineInfo();
  const modelDir = flags.model ? path.resolve(flags.model) : ensureRandomModel("tiny.en");
  log(`model: ${modelDir}; audio: ${flags.audio}; ${nTokens} tokens; ${runs} runs after warm-up; ${threads} threads`);
  if (!skip.has("whispercpp")) await exportModelToGgml(modelDir, path.join(modelDir, "ggml-model-f16.bin"), "f16").catch((e: Error) => log(`ggml export failed: ${e.message}`));
  const systems: SystemResult[] = [];
  for (const d of flags.devices!.split(",")) {
    try {
      await resolveBackend(d as "cpu");
    } catch (e) {
      systems.push({ system: `max-whisper ${d}`, status: "skipped", reason: (e as Error).message });
      continue;
    }
    log(`max-whisper ${d}…`);
    systems.push(runNodeSystem("max-whisper", d, modelDir));
    log(`max-whisper ${d} (f16 weights)…`);
    systems.push(runNodeSystem("max-whisper-f16", d, modelDir));
  }
  if (!skip.has("ort")) { log("onnxruntime-node…"); systems.push(runNodeSystem("ort", "cpu", modelDir)); }
  if (!skip.has("whispercpp")) { log("whisper.cpp…"); systems.push(runWhisperCpp(modelDir)); }
  if (!skip.has("torch")) { log("torch…"); systems.push(runTorch(modelDir)); }

  const results: CaseResult[] = [];
  const notes: string[] = [];
  const ref = systems.find((s) => s.status === "ok" && s.runs?.[0]?.tokens.length)?.runs![0]!.tokens;
  for (const s of systems) {
    if (s.status !== "ok") {
      results.push({ case: "whole job", system: s.system, status: s.status, reason: s.reason });
      continue;
    }
    const stage = (k: keyof StageRun) => summarize(s.runs!.map((r) => r[k] as number));
    const total = stage("total_ms");
    const toks = s.runs![0]!.tokens;
    const agree = ref && toks.length ? `${toks.filter((t, i) => t === ref[i]).length}/${ref.length}` : "n/a";
    results.push({ case: "whole job", system: s.system, status: "ok", ms: total, extra: { rtf: total.median / 1000 / AUDIO_S, rssMiB: s.maxRssMiB ?? NaN, tokensAgree: agree } });
    // whisper.cpp's fixed-work figures have no log-mel stage.
    if (!Number.isNaN(s.runs![0]!.mel_ms)) results.push({ case: "log-mel", system: s.system, status: "ok", ms: stage("mel_ms") });
    results.push({ case: "encoder", system: s.system, status: "ok", ms: stage("encoder_ms") });
    const perTok = summarize(s.runs!.map((r) => r.decode_ms / nTokens));
    results.push({ case: "decode per token", system: s.system, status: "ok", ms: perTok });
    if (s.note) notes.push(`${s.system}: ${s.note}.`);
  }
  notes.push(
    `Same weights (${flags.model ? flags.model : "seeded random tiny.en-shaped model"}), same audio, greedy decode of ${nTokens} tokens without early stop, ${threads} threads for every system; medians of ${runs} runs after one warm-up run.`,
    "tokensAgree compares each system's generated tokens with the first system's: the same weights and greedy rule give the same tokens up to float noise.",
    "Stages are split as whisper.cpp splits them: 'encoder' includes the decoder's cross-attention K/V (computed once per window), 'decode per token' is the steps alone (the prompt step included).",
  );
  const base = writeReport({ suite: "e2e", title: "End-to-end Whisper benchmark (tiny.en shapes)", machine, results, notes }, flags.out!);
  log(`wrote ${base}.{json,md,svg}`);
}

await main();
