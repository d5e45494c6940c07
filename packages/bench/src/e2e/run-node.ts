// One node system of the end-to-end benchmark, run in its own process so that its peak RSS is
// its own: `max-whisper` on a device, or `ort` (onnxruntime-node on this project's ONNX export).
// Prints one JSON line: per-run stage timings, the generated tokens and the peak RSS.
//   args: SYSTEM DEVICE MODEL_DIR WAV N_TOKENS RUNS THREADS

import { Whisper, greedyDecode, loadAudio } from "@max-whisper/whisper";
import { runOrtWhisper } from "./ort-whisper.js";

export interface StageRun {
  total_ms: number;
  load_ms: number;
  mel_ms: number;
  encoder_ms: number;
  decode_ms: number;
  tokens: number[];
}

const [system, device, modelDir, wav, nTok, nRuns, nThreads] = process.argv.slice(2);
const nTokens = Number(nTok), runs = Number(nRuns), threads = Number(nThreads);

async function maxWhisper(): Promise<{ runs: StageRun[]; extra: Record<string, unknown> }> {
  // f16 weight storage halves the bytes each decode step streams (whisper.cpp's standard format).
  const w = await Whisper.load(modelDir!, { device: device as "cpu", threads, dtype: system === "max-whisper-f16" ? "f16" : "f32" });
  const prompt = [w.tokenizer.sot, w.tokenizer.noTimestamps];
  const out: StageRun[] = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    const samples = await loadAudio(wav!);
    const t1 = performance.now();
    const mel = w.logMel(samples);
    const t2 = performance.now();
    const enc = await w.encode(mel);
    // The cross-attention K/V belong to the encoder stage, as in whisper.cpp's whisper_encode.
    const session = await w.decoder(enc);
    const t3 = performance.now();
    const { tokens: [tokens] } = await greedyDecode(session, { prompt: [prompt], maxNewTokens: nTokens, eot: w.tokenizer.eot, stopAtEnd: false });
    session.dispose();
    const t4 = performance.now();
    // The first run compiles (or loads cached) kernels and is the warm-up.
    if (r > 0) out.push({ total_ms: t4 - t0, load_ms: t1 - t0, mel_ms: t2 - t1, encoder_ms: t3 - t2, decode_ms: t4 - t3, tokens: tokens! });
  }
  w.dispose();
  return { runs: out, extra: { device: w.device, weights: system === "max-whisper-f16" ? "f16" : "f32" } };
}

const result = system === "ort" ? await runOrtWhisper(modelDir!, wav!, nTokens, runs, threads) : await maxWhisper();
process.stdout.write(JSON.stringify({ ...result, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + "\n");
