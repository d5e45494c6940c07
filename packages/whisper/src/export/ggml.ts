// Writes Whisper weights in whisper.cpp's legacy ggml model format, so that the benchmark can
// run whisper.cpp on exactly the weights this project uses. Layout: magic, 11 int32 hparams,
// mel filters, byte vocabulary, then per tensor: n_dims, name length, ftype, dims (innermost
// first), name, data. Names are OpenAI's; 1-D tensors and positional tables stay f32.

import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { f32ToF16Bits, type Tensor } from "@max-whisper/graph";
import type { WhisperConfig } from "../weights/config.js";

export const GGML_MAGIC = 0x67676d6c;

/** The ten model dimensions whisper.cpp's header stores, as WhisperConfig names them. */
export type GgmlHParams = Pick<WhisperConfig,
  "nVocab" | "nAudioCtx" | "nAudioState" | "nAudioHead" | "nAudioLayer" | "nTextCtx" | "nTextState" | "nTextHead" | "nTextLayer" | "nMels">;

export interface GgmlModel {
  hparams: GgmlHParams;
  /** Weight type of the large matrices: f16 is whisper.cpp's standard format. */
  ftype: "f32" | "f16";
  melFilters: { nMel: number; nFft: number; data: Float32Array };
  /** Byte strings of the ordinary (non-special) tokens, by id. */
  vocab: readonly Uint8Array[];
  /** Tensors by OpenAI name (e.g. "encoder.blocks.0.attn.query.weight"). */
  tensors: ReadonlyMap<string, Tensor>;
}

/** Tensors whisper.cpp keeps in f32 whatever the file type. */
function staysF32(name: string, t: Tensor): boolean {
  return t.rank < 2 || name.endsWith("positional_embedding");
}

function int32s(values: readonly number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

function payload(t: Tensor, asF16: boolean): Uint8Array {
  const v = t.toFloat32Array();
  if (!asF16) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (t.dtype === "f16") return t.bytes();
  const h = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) h[i] = f32ToF16Bits(v[i]!);
  return new Uint8Array(h.buffer);
}

/** Write the model to `file` atomically (a temporary file renamed on success). */
export function writeGgml(file: string, m: GgmlModel): void {
  const h = m.hparams;
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    const put = (b: Uint8Array) => writeSync(fd, b);
    put(int32s([GGML_MAGIC, h.nVocab, h.nAudioCtx, h.nAudioState, h.nAudioHead, h.nAudioLayer,
      h.nTextCtx, h.nTextState, h.nTextHead, h.nTextLayer, h.nMels, m.ftype === "f16" ? 1 : 0]));
    const f = m.melFilters;
    if (f.data.length !== f.nMel * f.nFft) throw new Error(`[ggml] mel filters: expected ${f.nMel}x${f.nFft} values, got ${f.data.length}`);
    put(int32s([f.nMel, f.nFft]));
    put(new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength));
    put(int32s([m.vocab.length]));
    for (const tok of m.vocab) {
      put(int32s([tok.length]));
      put(tok);
    }
    for (const [name, t] of m.tensors) {
      // Conv biases are [n] in PyTorch and [1, n] (innermost first) in whisper.cpp.
      let shape = [...t.shape];
      if (/^encoder\.conv[12]\.bias$/.test(name)) shape = [shape[0]!, 1];
      const f16 = m.ftype === "f16" && !staysF32(name, t);
      const nameBytes = new TextEncoder().encode(name);
      put(int32s([shape.length, nameBytes.length, f16 ? 1 : 0, ...shape.reverse()]));
      put(nameBytes);
      put(payload(t, f16));
    }
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface GgmlTensorInfo {
  name: string;
  /** Dims innermost first, as stored. */
  ne: number[];
  ftype: number;
  offset: number;
}

/** Parse a ggml file's header, vocabulary and tensor table (used by tests and the bench). */
export function readGgmlIndex(buf: Uint8Array): { hparams: number[]; ftype: number; nMel: number; nFft: number; vocab: Uint8Array[]; tensors: GgmlTensorInfo[] } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const i32 = () => { const v = dv.getInt32(p, true); p += 4; return v; };
  if (i32() !== GGML_MAGIC) throw new Error("[ggml] bad magic");
  const hp = Array.from({ length: 11 }, i32);
  const nMel = i32(), nFft = i32();
  p += nMel * nFft * 4;
  const nVocab = i32();
  const vocab: Uint8Array[] = [];
  for (let i = 0; i < nVocab; i++) {
    const len = i32();
    vocab.push(buf.subarray(p, p + len));
    p += len;
  }
  const tensors: GgmlTensorInfo[] = [];
  while (p < buf.byteLength) {
    const nDims = i32(), nameLen = i32(), ftype = i32();
    const ne = Array.from({ length: nDims }, i32);
    const name = new TextDecoder().decode(buf.subarray(p, p + nameLen));
    p += nameLen;
    tensors.push({ name, ne, ftype, offset: p });
    p += ne.reduce((a, b) => a * b, 1) * (ftype === 1 ? 2 : 4);
  }
  if (p !== buf.byteLength) throw new Error("[ggml] truncated tensor data");
  return { hparams: hp.slice(0, 10), ftype: hp[10]!, nMel, nFft, vocab, tensors };
}

/**
 * Export a model folder (config.json + safetensors) to a ggml file for whisper.cpp, with the
 * mel filters and byte vocabulary this package ships.
 */
export async function exportModelToGgml(modelDir: string, file: string, ftype: "f32" | "f16" = "f16"): Promise<void> {
  const { loadWhisperWeights } = await import("../weights/index.js");
  const { parseTiktokenRanks, tiktokenAssetPath } = await import("../tokenizer/index.js");
  const { readFileSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const { config: c, tensors } = loadWhisperWeights(modelDir);
  const filterFile = fileURLToPath(new URL(`../../assets/mel_filters_${c.nMels}.bin`, import.meta.url));
  const fb = readFileSync(filterFile);
  const filters = new Float32Array(fb.buffer.slice(fb.byteOffset, fb.byteOffset + fb.byteLength));
  const ranks = parseTiktokenRanks(readFileSync(tiktokenAssetPath(c.multilingual ? "multilingual" : "gpt2"), "utf8"));
  const vocab = ranks.map((s) => Uint8Array.from(s ?? "", (ch) => ch.charCodeAt(0)));
  writeGgml(file, {
    hparams: c,
    ftype,
    melFilters: { nMel: c.nMels, nFft: 201, data: filters },
    vocab,
    tensors,
  });
}
