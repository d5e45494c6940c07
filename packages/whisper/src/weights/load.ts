// loadWhisperWeights: a model folder (config.json + safetensors, HF or OpenAI tensor names,
// single file or sharded) -> WhisperConfig and tensors by OpenAI name, every shape checked.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Tensor, type DType } from "@max-whisper/graph";
import { parseAlignmentHeads, parseWhisperConfig, type WhisperConfig } from "./config.js";
import { expectedTensors, hfToOpenai, openaiToHf } from "./names.js";
import { readSafetensors, readSafetensorsHeader, type TensorInfo } from "./safetensors.js";

export class WeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightsError";
  }
}

export interface WhisperWeights {
  dir: string;
  config: WhisperConfig;
  /** Tensors by OpenAI state_dict name (see names.ts), in the file's dtype unless cast. */
  tensors: Map<string, Tensor>;
  /** Weight files read, in order. */
  files: string[];
  /** Which naming the files used. */
  naming: "openai" | "hf";
}

export interface LoadWeightsOptions {
  /** A safetensors file name inside the folder, instead of model.safetensors / the index. */
  weightsFile?: string;
  /** Cast every floating-point tensor to this dtype after loading. */
  dtype?: DType;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new WeightsError(`[loadWhisperWeights] ${path}: cannot read ${what}: ${(e as Error).message}`);
  }
}

/**
 * Whisper's encoder position table [length, channels]: sin of position × 10000^(−i/(C/2−1)) in
 * the first half, cos in the second, each step rounded to float32 as model.py builds it. Files
 * that hold the table win; this fills it in when a checkpoint leaves it out.
 */
export function sinusoids(length: number, channels: number, maxTimescale = 10000): Tensor {
  if (channels % 2 !== 0) throw new TypeError(`[sinusoids] channels must be even, got ${channels}`);
  const half = channels / 2;
  // Every step rounded to float32, as torch builds the buffer. NOTE: torch's f32 exp is sometimes
  // an ulp off the correctly rounded value used here, which moves sin(1499·x) by up to ~1.5e-4.
  const negInc = Math.fround(-Math.log(maxTimescale) / (half - 1));
  const inv = Array.from({ length: half }, (_, i) => Math.fround(Math.exp(Math.fround(negInc * i))));
  const out = new Float32Array(length * channels);
  for (let t = 0; t < length; t++)
    for (let i = 0; i < half; i++) {
      const x = Math.fround(t * inv[i]!);
      out[t * channels + i] = Math.sin(x);
      out[t * channels + half + i] = Math.cos(x);
    }
  return new Tensor("f32", [length, channels], out);
}

/** Read config.json (and generation_config.json when present) of a model folder. */
export function loadWhisperConfig(dir: string): WhisperConfig {
  const cfgPath = join(dir, "config.json");
  if (!existsSync(cfgPath))
    throw new WeightsError(`[loadWhisperWeights] ${dir}: no config.json (a model folder needs config.json and model.safetensors)`);
  const config = parseWhisperConfig(readJson(cfgPath, "config.json"), cfgPath);
  const genPath = join(dir, "generation_config.json");
  if (existsSync(genPath)) {
    const gen = readJson(genPath, "generation_config.json") as Record<string, unknown>;
    if (gen.alignment_heads !== undefined) config.alignmentHeads = parseAlignmentHeads(gen.alignment_heads, config, genPath);
    if (Array.isArray(gen.suppress_tokens)) config.suppressTokens = gen.suppress_tokens as number[];
    if (Array.isArray(gen.begin_suppress_tokens)) config.beginSuppressTokens = gen.begin_suppress_tokens as number[];
  }
  return config;
}

/** The safetensors files of a folder: an explicit file, model.safetensors, or the shard index. */
function weightFiles(dir: string, opts: LoadWeightsOptions): string[] {
  if (opts.weightsFile) return [join(dir, opts.weightsFile)];
  const single = join(dir, "model.safetensors");
  if (existsSync(single)) return [single];
  const index = join(dir, "model.safetensors.index.json");
  if (existsSync(index)) {
    const map = (readJson(index, "the shard index") as { weight_map?: Record<string, string> }).weight_map;
    if (!map || typeof map !== "object") throw new WeightsError(`[loadWhisperWeights] ${index}: no weight_map`);
    return [...new Set(Object.values(map))].map((f) => join(dir, f));
  }
  throw new WeightsError(`[loadWhisperWeights] ${dir}: no model.safetensors (or model.safetensors.index.json)`);
}

/**
 * Load a Whisper model folder. Tensors come back under OpenAI names whichever naming the files
 * use; HF's tied `proj_out.weight` is dropped in favour of the token embedding. A missing
 * encoder position table is rebuilt (it is a fixed sinusoid). A missing tensor or a wrong
 * shape throws WeightsError naming the file and the tensor.
 */
export function loadWhisperWeights(dir: string, opts: LoadWeightsOptions = {}): WhisperWeights {
  const config = loadWhisperConfig(dir);
  const files = weightFiles(dir, opts);
  const expected = expectedTensors(config);
  // canonical name -> where it lives
  const found = new Map<string, { file: string; info: TensorInfo }>();
  let hf = 0, openai = 0;
  for (const file of files) {
    const header = readSafetensorsHeader(file);
    for (const [name, info] of header.tensors) {
      let canon: string | undefined;
      if (expected.has(name)) { canon = name; openai++; }
      else {
        canon = hfToOpenai(name);
        if (canon) hf++;
      }
      if (!canon) continue;
      // proj_out is tied to the token embedding: only a fallback when the embedding is absent.
      const isProj = /(^|\.)proj_out\.weight$/.test(name);
      if (found.has(canon) && isProj) continue;
      found.set(canon, { file, info });
    }
  }
  const naming = hf > openai ? "hf" : "openai";
  const where = files.length === 1 ? files[0]! : `${dir} (${files.length} shards)`;
  const tensors = new Map<string, Tensor>();
  const byFile = new Map<string, { canon: string; name: string }[]>();
  for (const [canon, shape] of expected) {
    const hit = found.get(canon);
    if (!hit) {
      if (canon === "encoder.positional_embedding") { tensors.set(canon, sinusoids(shape[0]!, shape[1]!)); continue; }
      const alt = naming === "hf" ? ` (HF name '${openaiToHf(canon)}')` : "";
      throw new WeightsError(`[loadWhisperWeights] ${where}: tensor '${canon}'${alt} is missing`);
    }
    if (hit.info.shape.length !== shape.length || hit.info.shape.some((d, i) => d !== shape[i]))
      throw new WeightsError(`[loadWhisperWeights] ${hit.file}: tensor '${hit.info.name}' has the wrong shape: expected [${shape.join(", ")}], got [${hit.info.shape.join(", ")}]`);
    if (hit.info.dtype !== "f32" && hit.info.dtype !== "f16" && hit.info.dtype !== "bf16")
      throw new WeightsError(`[loadWhisperWeights] ${hit.file}: tensor '${hit.info.name}' has dtype ${hit.info.fileDtype}: expected a float type (F32, F16, BF16)`);
    const list = byFile.get(hit.file) ?? [];
    list.push({ canon, name: hit.info.name });
    byFile.set(hit.file, list);
  }
  for (const [file, list] of byFile) {
    const read = readSafetensors(file, list.map((l) => l.name));
    for (const { canon, name } of list) {
      const t = read.get(name)!;
      tensors.set(canon, t);
    }
  }
  // Keep the canonical order (the order model.py registers parameters).
  const ordered = new Map([...expected.keys()].map((k) => {
    const t = tensors.get(k)!;
    return [k, opts.dtype ? t.cast(opts.dtype) : t] as const;
  }));
  return { dir, config, tensors: ordered, files, naming };
}
