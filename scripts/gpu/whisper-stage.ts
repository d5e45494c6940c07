// Whisper-micro parity on the GPU: encoder output, prompt logits and 24 greedy tokens against
// the PyTorch fixtures (f32), plus timings. Bundled separately by build-bundle.sh (only when the
// whisper package bundles), run by gpu-main as a child; prints one JSON line last.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Graph, Tensor, optimize } from "../../packages/graph/src/index.js";
import { cudaSource } from "../../packages/cuda-backend/src/index.js";
import { exportCubin } from "../../packages/cuda-backend/src/compile.js";
import { Whisper, buildCrossKV, buildDecoder, buildEncoder } from "../../packages/whisper/src/index.js";
import { loadWhisperConfig } from "../../packages/whisper/src/weights/load.js";
import { WHISPER_PRESETS, expectedTensors } from "../../packages/whisper/src/weights/index.js";

/** whisper-tiny.en shapes with seeded random weights (timing only: values need no meaning). */
function tinyTensors(): Map<string, Tensor> {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) - 0.5;
  const out = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensors(WHISPER_PRESETS["tiny.en"]!)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const isNormWeight = /_ln\.weight$|ln_post\.weight$|decoder\.ln\.weight$/.test(name);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = isNormWeight ? 1 + 0.1 * rnd() : (shape.length > 1 ? 2 / Math.sqrt(fanIn) : 0.04) * rnd();
    out.set(name, new Tensor("f32", shape, data));
  }
  return out;
}

/** Whisper-tiny.en shapes through the graph compiler on CUDA: encoder and per-token decode. */
async function tinyTimings(wdtype: "f32" | "f16"): Promise<Record<string, unknown>> {
  const w = await Whisper.fromTensors(WHISPER_PRESETS["tiny.en"]!, tinyTensors(), { device: "cuda", dtype: wdtype });
  const mel = new Tensor("f32", [80, 3000], new Float32Array(80 * 3000).map((_, i) => Math.sin(i * 0.001)));
  let enc = await w.encode(mel);
  const encMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    enc = await w.encode(mel);
    encMs.push(performance.now() - t);
  }
  const prompt = [w.tokenizer.sot, w.tokenizer.noTimestamps];
  await w.greedy(enc, { prompt, maxNewTokens: 4, suppress: false, suppressBlank: false, stopAtEnd: false });
  const n = 64, runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    await w.greedy(enc, { prompt, maxNewTokens: n, suppress: false, suppressBlank: false, stopAtEnd: false });
    runs.push((performance.now() - t) / n);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const graphs = await graphStats(w);
  w.dispose();
  return { weights: wdtype, encoder_ms: med(encMs), decode_ms_per_token: med(runs), tokens: n, cuda_graphs: graphs };
}


const dir = join(process.env.MW_FIXTURES ?? "fixtures", "whisper-micro");
const f32 = (file: string, shape: number[]) => Tensor.fromBytes("f32", shape, new Uint8Array(readFileSync(join(dir, file))));
const i32 = (file: string) => Array.from(new Int32Array(new Uint8Array(readFileSync(join(dir, file))).buffer));

function maxAbs(a: Tensor, b: Tensor): number {
  const x = a.toFloat64Array(), y = b.toFloat64Array();
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/**
 * Each compiled variant's CUDA-graph counters (captures, replays, and why graphs were given up,
 * if they were): the decoder steps should replay one graph each. Reads Whisper's private
 * executable cache, which only this diagnostic needs.
 */
async function graphStats(w: Whisper): Promise<Record<string, unknown>> {
  const exes = (w as unknown as { exes: Map<string, Promise<{ stats?: Record<string, unknown> }>> }).exes;
  const out: Record<string, unknown> = {};
  for (const [variant, p] of exes) {
    const st = (await p).stats;
    if (st) out[variant] = { runs: st.runs, captures: st.graphCaptures, replays: st.graphReplays, error: st.graphError };
  }
  return out;
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  const t0 = Date.now();
  const w = await Whisper.load(dir, { device: "cuda" });
  out.load_s = (Date.now() - t0) / 1000;
  const mel = f32("mel.bin", [80, 3000]);
  let t = Date.now();
  const enc = await w.encode(mel);
  out.encode_first_s = (Date.now() - t) / 1000;
  out.encoder_max_abs_err = maxAbs(enc, f32("encoder_out.bin", [1, 1500, 64]));
  t = Date.now();
  for (let i = 0; i < 5; i++) await w.encode(mel);
  out.encode_ms = (Date.now() - t) / 5;
  const prompt = i32("prompt_tokens.bin");
  const logits = await w.logits(prompt, enc);
  out.logits_max_abs_err = maxAbs(logits, f32("logits_step0.bin", [1, 2, 51864]));
  t = Date.now();
  const tokens = await w.greedy(enc, { prompt, maxNewTokens: 24, suppress: false, suppressBlank: false, stopAtEnd: false });
  out.greedy_ms = Date.now() - t;
  const want = i32("greedy_tokens.bin");
  const got = tokens.slice(-want.length);
  out.greedy_tokens_equal = JSON.stringify(got) === JSON.stringify(want);
  out.greedy_tokens = got;
  out.cuda_graphs = await graphStats(w);
  // f32 parity bounds: the fixtures' own fp32-vs-fp64 gaps are ~2e-6 (encoder) and ~4e-6 (logits).
  out.ok = (out.encoder_max_abs_err as number) < 1e-3 && (out.logits_max_abs_err as number) < 1e-2 && out.greedy_tokens_equal === true;
  for (const wd of ["f32", "f16"] as const) {
    try {
      out[`tiny_${wd}`] = await tinyTimings(wd);
    } catch (e) {
      out[`tiny_${wd}`] = { error: String((e as Error).message).slice(0, 500) };
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exitCode = out.ok ? 0 : 1;
}

/**
 * Compile, for `arch`, the graphs Whisper.load compiles (same builders, same pass pipeline), so
 * the GPU run finds them in the carried cache instead of waiting for nvcc.
 */
function prebuild(arch: string, into: string): void {
  // The sources Whisper compiles: f16 weights also turn on half-precision attention.
  const graphs: { g: Graph; half: boolean }[] = [];
  for (const [d, wdtype] of [[loadWhisperConfig(dir), "f32"], [WHISPER_PRESETS["tiny.en"]!, "f32"], [WHISPER_PRESETS["tiny.en"]!, "f16"]] as const) {
    const wd = { wdtype };
    graphs.push(...[
      buildEncoder(d, wd), buildCrossKV(d, wd),
      ...[[false, true], [false, false], [true, true], [true, false]].map(([cache, lastOnly]) => buildDecoder(d, { cache: cache!, lastOnly: lastOnly! }, wd)),
    ].map((g) => ({ g, half: wdtype === "f16" })));
  }
  for (const { g, half } of graphs) exportCubin(cudaSource(optimize(g), { halfAttention: half }), arch, into);
}

const pre = process.argv.indexOf("--prebuild");
if (pre >= 0) prebuild(process.argv[pre + 1] ?? "sm_90", process.argv[pre + 2]!);
else main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String((e as Error)?.stack ?? e).slice(0, 3000) })}\n`);
  process.exitCode = 1;
});
