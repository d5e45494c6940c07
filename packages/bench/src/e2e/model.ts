// The benchmark's model: a real checkpoint folder when the user passes one, otherwise a
// whisper-tiny.en-shaped model with seeded random weights written once into the bench cache.
// Random weights follow the fixture's recipe (N(0, 1/sqrt(fan_in)) matrices, small biases,
// LayerNorm near identity) so that greedy decoding changes token from step to step.

import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Tensor } from "@max-whisper/graph";
import { WHISPER_PRESETS, expectedTensors, sinusoids, toHuggingFaceConfig, writeSafetensors } from "@max-whisper/whisper";
import { randn } from "../random.js";
import { benchCacheDir } from "../peers/whispercpp.js";

function initTensor(name: string, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name === "encoder.positional_embedding") return sinusoids(shape[0]!, shape[1]!);
  let scale: number, shift = 0;
  if (name.endsWith("token_embedding.weight")) scale = 0.3;
  else if (name === "decoder.positional_embedding") scale = 1;
  else if (/_ln\.weight$|ln_post\.weight$|decoder\.ln\.weight$/.test(name)) { scale = 0.1; shift = 1; }
  else if (/_ln\.bias$|ln_post\.bias$|decoder\.ln\.bias$/.test(name)) scale = 0.1;
  else if (name.endsWith(".bias")) scale = 0.02;
  else scale = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
  const v = randn(seed, n, scale);
  if (shift) for (let i = 0; i < n; i++) v[i]! += shift;
  return Tensor.fromArray("f32", shape, v);
}

/** Write (once) a seeded random model of a published size; returns its folder. */
export function ensureRandomModel(preset = "tiny.en", seed = 1234): string {
  const config = WHISPER_PRESETS[preset];
  if (!config) throw new Error(`unknown model size '${preset}'`);
  const dir = path.join(benchCacheDir(), `random-${preset}-seed${seed}`);
  if (existsSync(path.join(dir, "model.safetensors"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const tensors = new Map<string, Tensor>();
    let i = 0;
    for (const [name, shape] of expectedTensors(config)) tensors.set(name, initTensor(name, shape, seed * 1000 + i++));
    writeSafetensors(path.join(tmp, "model.safetensors"), tensors, { format: "pt", note: `seeded random weights (seed ${seed})` });
    const dims = {
      n_mels: config.nMels, n_vocab: config.nVocab, n_audio_ctx: config.nAudioCtx, n_audio_state: config.nAudioState,
      n_audio_head: config.nAudioHead, n_audio_layer: config.nAudioLayer, n_text_ctx: config.nTextCtx,
      n_text_state: config.nTextState, n_text_head: config.nTextHead, n_text_layer: config.nTextLayer,
    };
    writeFileSync(path.join(tmp, "config.json"), JSON.stringify({ ...toHuggingFaceConfig(config), dims }, null, 2));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}
