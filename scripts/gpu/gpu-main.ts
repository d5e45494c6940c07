// The one GPU script: device info, the library-kernel suite and the graph op suite on the GPU
// against their references, Whisper parity (when that package is bundled), and benchmarks
// (GEMM and attention vs PyTorch, whisper-tiny-shaped encoder and decoder step, CUDA graph
// replay). Every stage has its own try/catch and time slice; results.json/.md are rewritten
// after each stage so a kill still leaves partial results. Bundled by build-bundle.sh.
//
//   node gpu-main.mjs                 run everything (OUT=folder for results)
//   node gpu-main.mjs --prebuild sm_90 DIR  compile every kernel for an arch (no GPU needed) and
//                                      copy the cubins into the cache root DIR

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileCubin, compileStats, exportCubin, findNvcc, nvccVersion } from "../../packages/cuda-backend/src/compile.js";
import { gemmLaunch, gemmSource, attentionSource, attentionLaunch, translationUnit, type GemmSpec } from "../../packages/cuda-backend/src/codegen/library.js";
import { cudaProbe } from "../../packages/cuda-backend/src/probe.js";
import { KernelArgs } from "../../packages/cuda-backend/src/runtime/args.js";
import { CudaError } from "../../packages/cuda-backend/src/native.js";
import { CudaDevice, HostDevice, cudaContext, type KernelDevice } from "../../packages/cuda-backend/src/runtime/device.js";
import { timeOnStream, type Timing } from "../../packages/cuda-backend/src/runtime/timing.js";
import { librarySuite } from "../../packages/cuda-backend/src/testing/library-suite.js";
import { opSuite, runOpSuite } from "../../packages/cuda-backend/src/testing/op-suite.js";
import { randomTensor } from "../../packages/cuda-backend/src/testing/reference.js";
import { WHISPER_TINY, syntheticDecoderStep, syntheticEncoder, syntheticSource } from "../../packages/cuda-backend/src/testing/synthetic.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const T0 = Date.now();
const BUDGET_MS = Number(process.env.MW_GPU_BUDGET_S ?? 330) * 1000;
const OUT = process.env.OUT ?? join(process.cwd(), "gpu-results");
const left = () => BUDGET_MS - (Date.now() - T0);

type Json = Record<string, unknown>;
const results: Json = { started: new Date().toISOString(), stages: {} as Record<string, Json> };
const stages = results.stages as Record<string, Json>;

function log(msg: string): void {
  process.stdout.write(`[gpu ${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);
}

function save(): void {
  mkdirSync(OUT, { recursive: true });
  results.elapsed_s = (Date.now() - T0) / 1000;
  results.compile = { ...compileStats };
  writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(OUT, "results.md"), markdown());
}

async function stage(name: string, needMs: number, fn: (rec: Json) => Promise<void> | void): Promise<void> {
  const rec: Json = {};
  stages[name] = rec;
  if (left() < needMs) {
    rec.status = "skipped";
    rec.reason = `time budget: ${Math.round(left() / 1000)} s left, stage needs ~${Math.round(needMs / 1000)} s`;
    log(`${name}: skipped (${rec.reason})`);
    save();
    return;
  }
  const t = Date.now();
  log(`${name}: start`);
  try {
    await fn(rec);
    rec.status ??= "ok";
  } catch (e) {
    rec.status = "error";
    rec.error = String((e as Error)?.stack ?? e).slice(0, 4000);
  }
  rec.seconds = (Date.now() - t) / 1000;
  log(`${name}: ${rec.status} in ${rec.seconds} s${rec.error ? `\n${rec.error}` : ""}`);
  save();
}

// ---- benchmark shapes (whisper-tiny: d 384, ffn 1536, 1500 audio tokens) ----------------------

interface GemmBench { name: string; m: number; n: number; k: number; dtype: "f16" | "bf16" | "f32"; epilogue?: "bias_gelu" }
const GEMMS: GemmBench[] = [
  { name: "enc qkv 1500x1152x384", m: 1500, n: 1152, k: 384, dtype: "f16" },
  { name: "enc out 1500x384x384", m: 1500, n: 384, k: 384, dtype: "f16" },
  { name: "enc mlp-up 1500x1536x384", m: 1500, n: 1536, k: 384, dtype: "f16" },
  { name: "enc mlp-up+bias+gelu 1500x1536x384", m: 1500, n: 1536, k: 384, dtype: "f16", epilogue: "bias_gelu" },
  { name: "enc mlp-down 1500x384x1536", m: 1500, n: 384, k: 1536, dtype: "f16" },
  { name: "enc mlp-up bf16 1500x1536x384", m: 1500, n: 1536, k: 384, dtype: "bf16" },
  { name: "enc mlp-up f32 1500x1536x384", m: 1500, n: 1536, k: 384, dtype: "f32" },
  { name: "dec qkv 1x1152x384", m: 1, n: 1152, k: 384, dtype: "f16" },
  { name: "dec logits 1x51864x384", m: 1, n: 51864, k: 384, dtype: "f16" },
];
interface AttnBench { name: string; B: number; H: number; lq: number; lk: number; d: number; dtype: "f16"; causal: boolean }
const ATTNS: AttnBench[] = [
  { name: "encoder self 6x1500x1500 d64", B: 1, H: 6, lq: 1500, lk: 1500, d: 64, dtype: "f16", causal: false },
  { name: "decoder self 6x1x224 d64 (kv-cache)", B: 1, H: 6, lq: 1, lk: 224, d: 64, dtype: "f16", causal: true },
  { name: "decoder cross 6x1x1500 d64", B: 1, H: 6, lq: 1, lk: 1500, d: 64, dtype: "f16", causal: false },
  { name: "decoder prompt self 6x4x4 d64", B: 1, H: 6, lq: 4, lk: 4, d: 64, dtype: "f16", causal: true },
];

const gemmSpec = (g: GemmBench): GemmSpec => ({
  name: `b_gemm_${g.dtype}${g.epilogue ? "_bg" : ""}`, ta: g.dtype, tb: g.dtype, tc: g.dtype,
  epilogue: g.epilogue ? { params: [{ name: "bias", ctype: "const float*", kind: "ptr" }], body: "return mw_gelu(acc + mw_ld(bias + j));" } : undefined,
});
function benchSource(): string {
  const specs = new Map(GEMMS.map((g) => [gemmSpec(g).name, gemmSpec(g)]));
  return translationUnit([...[...specs.values()].map(gemmSource), attentionSource({ name: "b_attn_f16_64", dtype: "f16", d: 64 })]);
}

/** Every CUDA source the GPU run loads, so --prebuild can fill the cache ahead of time. */
function allSources(): string[] {
  return [librarySuite({ big: true }).source, benchSource(), syntheticSource(), ...opSuite().sources()];
}

// ---- stages -------------------------------------------------------------------------------------

/**
 * Stages that touch the GPU run in child processes: a kernel fault poisons the CUDA context of
 * its process only, and a hung kernel is killed by the stage's timeout instead of the budget.
 */
const CHILD_STAGES: Record<string, (rec: Json) => Promise<void> | void> = {
  device: (rec) => {
    rec.nvcc = findNvcc() ? nvccVersion() : null;
    const why = cudaProbe();
    rec.probe = why ?? "available";
    if (why) {
      rec.status = "no-gpu";
      return;
    }
    const c = cudaContext();
    Object.assign(rec, { ...c.attrs, arch: c.arch, driverVersion: c.driverVersion, label: `${c.attrs.name} (${c.arch})` });
    // A failing driver call must surface as a CudaError naming the call, the line and the reason.
    try {
      c.addon.memFree(0x10n);
      rec.cudaErrorCheck = "no error raised for cuMemFree(0x10)";
    } catch (e) {
      const err = e as CudaError;
      rec.cudaErrorCheck = { isCudaError: err instanceof CudaError, call: err.call, where: err.where, code: err.code, message: err.message };
    }
  },
  "library-suite-host": (rec) => runLibrary(new HostDevice(), false, rec),
  "library-suite": (rec) => runLibrary(new CudaDevice(), true, rec),
  "op-suite": async (rec) => {
    const r = await runOpSuite("gpu", 50_000);
    Object.assign(rec, r);
    if (r.failed > 0) rec.status = "failures";
  },
  "bench-gemm": (rec) => benchGemm(new CudaDevice(), rec),
  "bench-attention": (rec) => benchAttention(new CudaDevice(), rec),
  "bench-whisper-synthetic": (rec) => benchSynthetic(new CudaDevice(), rec),
};

/** Run a CHILD_STAGES entry in a fresh process (this same script) and merge its record. */
async function childStage(name: string, needMs: number, maxMs: number): Promise<Json> {
  await stage(name, needMs, async (rec) => {
    const recFile = join(tmpdir(), `mw-stage-${process.pid}-${name}.json`);
    const timeout = Math.max(5_000, Math.min(maxMs, left() - 5_000));
    const r = await spawnAsync(process.execPath, [process.argv[1]!, "--stage", name, "--rec", recFile], timeout);
    process.stdout.write(r.stdout);
    if (existsSync(recFile)) Object.assign(rec, JSON.parse(readFileSync(recFile, "utf8")));
    if (r.code !== 0) {
      rec.status = rec.status && rec.status !== "ok" ? rec.status : r.code === null ? `killed after ${timeout / 1000} s` : `exit ${r.code}`;
      rec.stderr = r.stderr.slice(-4000);
    }
  });
  return stages[name]!;
}

async function runChild(name: string, recFile: string): Promise<void> {
  const rec: Json = {};
  try {
    await CHILD_STAGES[name]!(rec);
  } catch (e) {
    rec.status = "error";
    rec.error = String((e as Error)?.stack ?? e).slice(0, 4000);
  }
  writeFileSync(recFile, JSON.stringify(rec));
  if (rec.status === "error") process.exitCode = 1;
}

async function main(): Promise<void> {
  const pre = process.argv.indexOf("--prebuild");
  if (pre >= 0) {
    const arch = process.argv[pre + 1] ?? "sm_90", into = process.argv[pre + 2];
    const t = Date.now();
    for (const src of allSources()) {
      if (into) exportCubin(src, arch, into);
      else compileCubin(src, arch);
    }
    log(`prebuilt ${compileStats.misses} new + ${compileStats.hits} cached modules for ${arch} in ${(Date.now() - t) / 1000} s`);
    return;
  }
  const st = process.argv.indexOf("--stage");
  if (st >= 0) {
    await runChild(process.argv[st + 1]!, process.argv[process.argv.indexOf("--rec") + 1]!);
    childMode = true;
    return;
  }
  log(`results -> ${OUT}; budget ${BUDGET_MS / 1000} s`);
  const device = await childStage("device", 20_000, 60_000);
  if (device.status !== "ok") {
    // No GPU here: prove the bundle works by running the small suite on the CPU harness.
    await childStage("library-suite-host", 60_000, 240_000);
    return;
  }
  results.device = device.label;

  await childStage("library-suite", 40_000, 70_000);
  await childStage("op-suite", 30_000, 60_000);
  await stage("whisper-parity", 150_000, async (rec) => {
    const script = join(HERE, "whisper-stage.mjs");
    if (!existsSync(script)) {
      rec.status = "skipped";
      rec.reason = "whisper-stage.mjs was not bundled (the whisper package did not build)";
      return;
    }
    const r = await spawnAsync(process.execPath, [script], Math.min(100_000, left() - 110_000));
    rec.stdout = r.stdout.slice(-6000);
    rec.stderr = r.stderr.slice(-3000);
    rec.exit = r.code;
    const line = r.stdout.split("\n").reverse().find((l) => l.startsWith("{"));
    if (line) Object.assign(rec, { result: JSON.parse(line) });
    if (r.code !== 0) rec.status = r.code === null ? "killed (time limit)" : "failures";
  });

  await childStage("bench-gemm", 25_000, 50_000);
  await childStage("bench-attention", 20_000, 40_000);
  await childStage("bench-whisper-synthetic", 25_000, 50_000);
  // PyTorch runs after our kernels, never beside them: both on one GPU would skew both timings.
  const torchSpec = join(tmpdir(), `mw-torch-spec-${process.pid}.json`), torchOut = join(OUT, "torch-results.json");
  writeFileSync(torchSpec, JSON.stringify({ iters: 50, warmup: 10, gemm: GEMMS, attention: ATTNS, whisper: WHISPER_TINY }));
  await stage("torch", 30_000, async (rec) => {
    const r = await spawnAsync("python3", [join(HERE, "bench_torch.py"), torchSpec, torchOut], Math.min(120_000, left() - 20_000));
    rec.exit = r.code;
    rec.stderr = r.stderr.slice(-3000);
    if (existsSync(torchOut)) {
      const t = JSON.parse(readFileSync(torchOut, "utf8"));
      Object.assign(rec, t);
      compareWithTorch(t);
    } else rec.status = "no output";
  });
  await stage("torch-whisper-eager", 25_000, async (rec) => {
    const out = join(OUT, "torch-whisper.json");
    const r = await spawnAsync("python3", [join(HERE, "ref_whisper.py"), out], Math.min(120_000, left() - 5_000));
    rec.exit = r.code;
    rec.stderr = r.stderr.slice(-3000);
    if (existsSync(out)) Object.assign(rec, JSON.parse(readFileSync(out, "utf8")));
    else rec.status = "no output";
  });
}

let childMode = false;

function runLibrary(dev: KernelDevice, big: boolean, rec: Json): void {
  rec.device = dev.label;
  const suite = librarySuite({ big });
  const mod = dev.loadModule(suite.source);
  const cases: Json[] = [];
  for (const c of suite.cases) {
    const t = Date.now();
    try {
      const r = c.run(dev, mod);
      cases.push({ name: c.name, ok: r.ok, maxAbsErr: r.maxAbsErr, worst: r.worst || undefined, ms: Date.now() - t });
    } catch (e) {
      cases.push({ name: c.name, ok: false, error: String(e).slice(0, 1000) });
    }
  }
  rec.device = dev.label;
  rec.cases = cases;
  rec.passed = cases.filter((c) => c.ok).length;
  rec.failed = cases.length - (rec.passed as number);
  if ((rec.failed as number) > 0) rec.status = "failures";
  dev.dispose();
}

function benchGemm(dev: CudaDevice, rec: Json): void {
  const mod = dev.loadModule(benchSource());
  const out: Json[] = [];
  for (const g of GEMMS) {
    const spec = gemmSpec(g);
    const A = randomTensor(g.dtype, [g.m, g.k], 1), B = randomTensor(g.dtype, [g.n, g.k], 2), bias = randomTensor("f32", [g.n], 3);
    const a = dev.alloc(A.byteLength), b = dev.alloc(B.byteLength), c = dev.alloc(g.m * g.n * 4), bi = dev.alloc(g.n * 4);
    dev.upload(a, A.data);
    dev.upload(b, B.data);
    dev.upload(bi, bias.data);
    const { grid, block } = gemmLaunch(spec, 1, g.m, g.n);
    const args = new KernelArgs().ptr(a).ptr(b).ptr(c).i64(1).i64(g.m).i64(g.n).i64(g.k)
      .i64(0).i64(g.k).i64(1).i64(0).i64(1).i64(g.k).i64(0).i64(g.n).f32(1);
    if (g.epilogue) args.ptr(bi);
    const t = timeOnStream(dev, () => dev.launch(mod, spec.name, grid, block, args), 50, 10);
    out.push({ ...g, path: spec.ta === "f32" ? "simt" : "mma.sync", ...t, tflops: (2 * g.m * g.n * g.k) / (t.median_ms * 1e9) });
    for (const p of [a, b, c, bi]) dev.free(p);
  }
  rec.gemm = out;
}

function benchAttention(dev: CudaDevice, rec: Json): void {
  const mod = dev.loadModule(benchSource());
  const out: Json[] = [];
  for (const at of ATTNS) {
    const { B, H, lq, lk, d } = at;
    const q = dev.alloc(B * H * lq * d * 2), k = dev.alloc(B * H * lk * d * 2), v = dev.alloc(B * H * lk * d * 2), o = dev.alloc(B * H * lq * d * 2);
    for (const [p, n] of [[q, lq], [k, lk], [v, lk]] as const) dev.upload(p, randomTensor("f16", [B * H * n * d], 7).data);
    const args = new KernelArgs().ptr(q).ptr(k).ptr(v).ptr(o).ptr(0n).i64(H).i64(lq).i64(lk)
      .i64(H * lq * d).i64(lq * d).i64(d).i64(H * lk * d).i64(lk * d).i64(d).i64(H * lk * d).i64(lk * d).i64(d)
      .i64(H * lq * d).i64(lq * d).i64(d).i64(0).i64(0).i64(0).i64(0).f32(1 / Math.sqrt(d)).i32(at.causal ? 1 : 0);
    const { grid, block } = attentionLaunch(B, H, lq, lk, d, "f16");
    const t = timeOnStream(dev, () => dev.launch(mod, "b_attn_f16_64", grid, block, args), 50, 10);
    out.push({ ...at, ...t });
    for (const p of [q, k, v, o]) dev.free(p);
  }
  rec.attention = out;
}

function benchSynthetic(dev: CudaDevice, rec: Json): void {
  const mod = dev.loadModule(syntheticSource());
  const enc = syntheticEncoder(dev, mod);
  rec.encoder = { launches: enc.launches, ...timeOnStream(dev, () => enc.run(), 20, 3) };
  const graphEnc = dev.capture(() => enc.run());
  rec.encoder_graph = timeOnStream(dev, () => graphEnc.launch(), 20, 3);
  graphEnc.dispose();
  enc.dispose();
  const dec = syntheticDecoderStep(dev, mod);
  const eager = timeOnStream(dev, () => dec.run(), 50, 5);
  // Wall-clock per step as the host sees it (launch overhead included), eager vs graph replay.
  const wall = (fn: () => void, n: number) => {
    for (let i = 0; i < 5; i++) fn();
    dev.sync();
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    dev.sync();
    return Number(process.hrtime.bigint() - t) / 1e6 / n;
  };
  const graph = dev.capture(() => dec.run());
  rec.decoder_step = {
    launches: dec.launches, eager, graph: timeOnStream(dev, () => graph.launch(), 50, 5),
    wall_ms_eager: wall(() => dec.run(), 100), wall_ms_graph: wall(() => graph.launch(), 100),
  };
  graph.dispose();
  dec.dispose();
  rec.note = "our library kernels in whisper-tiny order (f16, random weights); not the graph compiler path; conv output transpose, positional embedding and kv-cache append left out";
}

function compareWithTorch(t: { gemm?: Record<string, Timing>; attention?: Record<string, Timing> }): void {
  const g = stages["bench-gemm"]?.gemm as (Json & { name: string; median_ms: number })[] | undefined;
  for (const row of g ?? []) {
    const tt = t.gemm?.[row.name];
    if (tt) Object.assign(row, { torch_ms: tt.median_ms, vs_torch: tt.median_ms / row.median_ms });
  }
  const a = stages["bench-attention"]?.attention as (Json & { name: string; median_ms: number })[] | undefined;
  for (const row of a ?? []) {
    const tt = t.attention?.[row.name];
    if (tt) Object.assign(row, { torch_ms: tt.median_ms, vs_torch: tt.median_ms / row.median_ms });
  }
}

function spawnAsync(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return import("node:child_process").then(({ spawn }) => new Promise((resolve) => {
    let stdout = "", stderr = "";
    let p: ReturnType<typeof spawn>;
    try {
      p = spawn(cmd, args, { env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    } catch (e) {
      resolve({ code: -1, stdout, stderr: String(e) });
      return;
    }
    const timer = setTimeout(() => p.kill("SIGKILL"), Math.max(1000, timeoutMs));
    p.stdout?.on("data", (d) => (stdout += d));
    p.stderr?.on("data", (d) => (stderr += d));
    p.on("error", (e) => { clearTimeout(timer); resolve({ code: -1, stdout, stderr: stderr + String(e) }); });
    p.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  }));
}

// ---- report -------------------------------------------------------------------------------------

function fmt(x: unknown, digits = 4): string {
  return typeof x === "number" ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(digits)) : String(x ?? "");
}

function markdown(): string {
  const L: string[] = [`# CUDA backend GPU run`, "", `- started: ${results.started}`, `- device: ${results.device ?? "none"}`, `- elapsed: ${fmt(results.elapsed_s)} s`, ""];
  for (const [name, rec] of Object.entries(stages)) {
    L.push(`## ${name}: ${rec.status ?? "running"}`, "");
    if (rec.reason) L.push(`${rec.reason}`, "");
    if (rec.error) L.push("```", String(rec.error).slice(0, 1500), "```", "");
    if (name === "device") L.push(`probe: ${rec.probe}; nvcc: ${rec.nvcc ?? "none"}; driver ${rec.driverVersion ?? "-"}; SMs ${rec.multiprocessors ?? "-"}`, "");
    const cases = Array.isArray(rec.cases) ? (rec.cases as Json[]) : undefined;
    if (cases) {
      L.push(`${rec.passed} passed, ${rec.failed} failed`, "", "| case | ok | max abs err | ms |", "|---|---|---|---|");
      for (const c of cases) L.push(`| ${c.name} | ${c.ok ? "yes" : `**NO** ${c.worst ?? c.error ?? ""}`} | ${fmt(c.maxAbsErr, 3)} | ${c.ms ?? ""} |`);
      L.push("");
    }
    const g = Array.isArray(rec.gemm) ? (rec.gemm as Json[]) : undefined;
    if (g) {
      L.push("| GEMM | path | ours ms | TFLOP/s | torch ms | torch/ours |", "|---|---|---|---|---|---|");
      for (const r of g) L.push(`| ${r.name} | ${r.path} | ${fmt(r.median_ms)} | ${fmt(r.tflops, 3)} | ${fmt(r.torch_ms)} | ${fmt(r.vs_torch, 3)} |`);
      L.push("");
    }
    const a = Array.isArray(rec.attention) ? (rec.attention as Json[]) : undefined;
    if (a && name !== "torch") {
      L.push("| attention | ours ms | torch SDPA ms | torch/ours |", "|---|---|---|---|");
      for (const r of a) L.push(`| ${r.name} | ${fmt(r.median_ms)} | ${fmt(r.torch_ms)} | ${fmt(r.vs_torch, 3)} |`);
      L.push("");
    }
    if (rec.encoder || rec.decoder_step) L.push("```json", JSON.stringify({ encoder: rec.encoder, encoder_graph: rec.encoder_graph, decoder_step: rec.decoder_step }, null, 1), "```", String(rec.note ?? ""), "");
    if (name === "torch-whisper-eager" || name === "op-suite" || name === "whisper-parity")
      L.push("```json", JSON.stringify({ ...rec, stdout: undefined, stderr: undefined, cases: undefined }, null, 1).slice(0, 3000), "```", "");
  }
  return L.join("\n");
}

main().then(
  () => { if (!childMode) { save(); log("done"); } },
  (e) => {
    results.fatal = String((e as Error)?.stack ?? e);
    if (!process.argv.includes("--stage")) save();
    log(`fatal: ${results.fatal}`);
    process.exitCode = 1;
  },
);
