// onnxruntime-node running this project's ONNX export of the full model: the encoder, the
// cross-attention K/V graph and the decoder step with one kv-cache input per layer, weights
// baked in as initializers, all ORT graph optimisations on and threads = cores. The host loop
// is the same greedy argmax as max-whisper's, so both do the same work.

import { Tensor } from "@max-whisper/graph";
import { buildCrossKV, buildDecoder, buildEncoder, canonicalWeights, getTokenizer, loadAudio, loadWhisperWeights, logMelSpectrogram, padOrTrim } from "@max-whisper/whisper";
import { ortSession } from "../peers/ort.js";
import type { StageRun } from "./run-node.js";

function argmaxLast(logits: Tensor): number {
  const v = logits.toFloat32Array();
  const n = logits.shape[logits.rank - 1]!;
  const row = v.subarray(v.length - n);
  let best = 0;
  for (let i = 1; i < n; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export async function runOrtWhisper(modelDir: string, wav: string, nTokens: number, runs: number, threads: number) {
  const { config, tensors } = loadWhisperWeights(modelDir);
  const weights = canonicalWeights(tensors, config, "f32");
  const tok = getTokenizer({ multilingual: config.multilingual, numLanguages: config.numLanguages });
  const L = config.nTextLayer;
  const enc = await ortSession(buildEncoder(config).toONNX({ weights }), threads);
  const cross = await ortSession(buildCrossKV(config).toONNX({ weights }), threads);
  const first = await ortSession(buildDecoder(config, { cache: false, lastOnly: true }).toONNX({ weights }), threads);
  const step = await ortSession(buildDecoder(config, { cache: true, lastOnly: true }).toONNX({ weights }), threads);
  const prompt = [tok.sot, tok.noTimestamps];
  const out: StageRun[] = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    const samples = await loadAudio(wav);
    const t1 = performance.now();
    const m = logMelSpectrogram(padOrTrim(samples, 480000), config.nMels);
    const mel = new Tensor("f32", [1, config.nMels, m.nFrames], m.data);
    const t2 = performance.now();
    const [encOut] = await enc.run([mel]);
    const crossKV = await cross.run([encOut!]);  // with the encoder, as whisper.cpp counts it
    const t3 = performance.now();
    let outs = await first.run([Tensor.fromArray("i32", [1, prompt.length], prompt), ...crossKV]);
    const tokens: number[] = [];
    for (let i = 0; i < nTokens; i++) {
      const next = argmaxLast(outs[0]!);
      tokens.push(next);
      if (i + 1 === nTokens) break;
      outs = await step.run([Tensor.fromArray("i32", [1, 1], [next]), ...outs.slice(1, 1 + 2 * L), ...crossKV]);
    }
    const t4 = performance.now();
    if (r > 0) out.push({ total_ms: t4 - t0, load_ms: t1 - t0, mel_ms: t2 - t1, encoder_ms: t3 - t2, decode_ms: t4 - t3, tokens });
  }
  for (const s of [enc, cross, first, step]) await s.release();
  return { runs: out, extra: { ort: "onnxruntime-node" } };
}
