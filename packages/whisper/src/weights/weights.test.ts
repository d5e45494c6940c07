// safetensors reading/writing and validation, WhisperConfig parsing, HF <-> OpenAI names, and
// loadWhisperWeights on the whisper-micro fixture (both namings, shards, errors).

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor } from "@max-whisper/graph";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeSafetensors, encodeSafetensors, expectedTensors, hfToOpenai, loadWhisperWeights, openaiToHf,
  parseWhisperConfig, readSafetensors, readSafetensorsHeader, sinusoids, toHuggingFaceConfig, WHISPER_PRESETS, writeSafetensors,
} from "./index.js";

const MICRO = fileURLToPath(new URL("../../../../../shared/fixtures/whisper-micro/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "mw-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A raw safetensors file from a header object and a data section. */
function rawFile(name: string, header: unknown, data: Uint8Array | number): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const p = join(tmp, name);
  writeFileSync(p, Buffer.concat([len, json, typeof data === "number" ? Buffer.alloc(data) : Buffer.from(data)]));
  return p;
}

describe("safetensors", () => {
  it("round-trips every dtype, keeping f16/bf16 as 16-bit words", () => {
    const tensors = {
      a: Tensor.fromArray("f32", [2, 3], [1, 2, 3, 4, 5, -6.5]),
      b: Tensor.fromArray("f16", [3], [0.5, -2, 65504]),
      c: Tensor.fromArray("bf16", [2], [1.5, -3]),
      d: Tensor.fromArray("i32", [2], [7, -8]),
      e: Tensor.fromArray("i64", [1], [123456789012]),
      f: Tensor.fromArray("bool", [3], [1, 0, 1]),
      z: Tensor.zeros("f32", [0, 4]),
    };
    const p = join(tmp, "all.safetensors");
    writeSafetensors(p, tensors, { format: "pt" });
    const bytes = readFileSync(p);
    // Header length is a multiple of 8, so f32 data starts aligned.
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    expect(readSafetensorsHeader(p).metadata).toEqual({ format: "pt" });
    for (const back of [readSafetensors(p), decodeSafetensors(new Uint8Array(bytes))]) {
      expect([...back.keys()].sort()).toEqual(Object.keys(tensors));
      for (const [k, t] of Object.entries(tensors)) {
        const u = back.get(k)!;
        expect(u.dtype).toBe(t.dtype);
        expect(u.shape).toEqual(t.shape);
        expect(Array.from(u.bytes())).toEqual(Array.from(t.bytes()));
      }
    }
    expect(back16(readSafetensors(p).get("b")!)).toEqual([0.5, -2, 65504]);
    expect(readSafetensors(p).get("b")!.data).toBeInstanceOf(Uint16Array);
    expect(Buffer.from(encodeSafetensors(tensors, { format: "pt" })).equals(bytes)).toBe(true);
  });

  it("reads only the named tensors and names a missing one", () => {
    const p = join(tmp, "all.safetensors");
    expect([...readSafetensors(p, ["d"]).keys()]).toEqual(["d"]);
    expect(() => readSafetensors(p, ["nope"])).toThrow(/all\.safetensors: tensor 'nope' is missing/);
  });

  it("reads F64 by narrowing to f32", () => {
    const p = rawFile("f64.safetensors", { x: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, new Uint8Array(new Float64Array([0.25, -1e3]).buffer));
    expect(readSafetensors(p).get("x")!.toArray()).toEqual([0.25, -1000]);
  });

  it("rejects broken files with the file and tensor named", () => {
    const short = join(tmp, "short.safetensors");
    writeFileSync(short, Buffer.from([1, 2, 3]));
    expect(() => readSafetensors(short)).toThrow(/short\.safetensors: truncated file: expected at least 8 bytes/);
    const bigHeader = join(tmp, "big.safetensors");
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1000n);
    writeFileSync(bigHeader, b);
    expect(() => readSafetensors(bigHeader)).toThrow(/big\.safetensors: header length out of range: header says 1000 bytes, file has 8/);
    expect(() => readSafetensors(rawFile("json.safetensors", "x", 0))).toThrow(/json\.safetensors: header must be a JSON object/);
    const trunc = rawFile("trunc.safetensors", { w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, 8);
    expect(() => readSafetensors(trunc)).toThrow(/trunc\.safetensors: tensor 'w': truncated file: data ends at byte 16 of the data section, which holds only 8/);
    const size = rawFile("size.safetensors", { w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, 16);
    expect(() => readSafetensors(size)).toThrow(/tensor 'w': wrong data size: F32\[3\] needs 12 bytes, data_offsets give 16/);
    const overlap = rawFile("overlap.safetensors", {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    }, 12);
    expect(() => readSafetensors(overlap)).toThrow(/overlap\.safetensors: tensor 'b' overlaps tensor 'a'/);
    const hole = rawFile("hole.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8);
    expect(() => readSafetensors(hole)).toThrow(/4 bytes of data before tensor 'a' belong to no tensor/);
    const tail = rawFile("tail.safetensors", { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 8);
    expect(() => readSafetensors(tail)).toThrow(/4 bytes after the last tensor belong to no tensor/);
    const dt = rawFile("dt.safetensors", { a: { dtype: "U8", shape: [1], data_offsets: [0, 1] } }, 1);
    expect(() => readSafetensors(dt)).toThrow(/tensor 'a': unsupported dtype U8/);
    expect(() => readSafetensors(join(tmp, "missing.safetensors"))).toThrow(/missing\.safetensors: file not found/);
  });
});

function back16(t: Tensor): number[] {
  return t.toArray();
}

describe("WhisperConfig", () => {
  const micro = JSON.parse(readFileSync(`${MICRO}config.json`, "utf8")) as Record<string, unknown>;
  const want = {
    nMels: 80, nAudioCtx: 1500, nAudioState: 64, nAudioHead: 2, nAudioLayer: 2,
    nTextCtx: 448, nTextState: 64, nTextHead: 2, nTextLayer: 2, nVocab: 51864,
    nAudioMlp: 256, nTextMlp: 256, multilingual: false, numLanguages: 99,
  };

  it("reads HF keys, OpenAI dims and top-level OpenAI names to the same config", () => {
    expect(parseWhisperConfig(micro)).toEqual(want);
    expect(parseWhisperConfig({ dims: micro.dims })).toEqual(want);
    expect(parseWhisperConfig(micro.dims)).toEqual(want);
  });

  it("derives multilingual and numLanguages from n_vocab", () => {
    expect(parseWhisperConfig({ ...(micro.dims as object), n_vocab: 51865 })).toMatchObject({ multilingual: true, numLanguages: 99 });
    expect(parseWhisperConfig({ ...(micro.dims as object), n_vocab: 51866 })).toMatchObject({ multilingual: true, numLanguages: 100 });
    expect(WHISPER_PRESETS["large-v3"]).toMatchObject({ nMels: 128, numLanguages: 100 });
    expect(WHISPER_PRESETS["large-v3-turbo"]).toMatchObject({ nTextLayer: 4, nAudioLayer: 32 });
    expect(WHISPER_PRESETS["tiny.en"]).toMatchObject({ multilingual: false, numLanguages: 99, nAudioState: 384 });
  });

  it("round-trips every preset through an HF config.json", () => {
    for (const [name, c] of Object.entries(WHISPER_PRESETS)) expect(parseWhisperConfig(toHuggingFaceConfig(c), name)).toEqual(c);
  });

  it("names the bad key", () => {
    expect(() => parseWhisperConfig({ ...micro, d_model: "64" }, "x/config.json")).toThrow(/x\/config\.json: 'd_model' must be a positive integer, got "64"/);
    expect(() => parseWhisperConfig({ dims: { n_mels: 80 } })).toThrow(/\(dims\): 'n_audio_state' must be a positive integer, got undefined/);
    expect(() => parseWhisperConfig({ ...micro, alignment_heads: [[5, 0]] })).toThrow(/alignment head \[5, 0\] is outside 2 layers/);
  });
});

describe("tensor names", () => {
  const map = JSON.parse(readFileSync(`${MICRO}name_map.json`, "utf8")) as Record<string, string>;
  it("agree with name_map.json both ways, and cover expectedTensors", () => {
    for (const [o, h] of Object.entries(map)) {
      expect(openaiToHf(o)).toBe(h);
      expect(hfToOpenai(h)).toBe(o);
    }
    const expected = expectedTensors(parseWhisperConfig(JSON.parse(readFileSync(`${MICRO}config.json`, "utf8"))));
    expect([...expected.keys()].sort()).toEqual(Object.keys(map).sort());
    expect(hfToOpenai("proj_out.weight")).toBe("decoder.token_embedding.weight");
    expect(hfToOpenai("encoder.layers.1.fc2.bias")).toBe("encoder.blocks.1.mlp.2.bias");
    expect(hfToOpenai("model.decoder.layers.0.bogus.weight")).toBeUndefined();
  });
});

describe("loadWhisperWeights", () => {
  const hf = loadWhisperWeights(MICRO);

  it("loads the HF-named fixture under OpenAI names with the right shapes", () => {
    expect(hf.naming).toBe("hf");
    expect(hf.tensors.size).toBe(89);
    expect(hf.tensors.get("decoder.token_embedding.weight")!.shape).toEqual([51864, 64]);
    expect(hf.tensors.get("encoder.conv1.weight")!.shape).toEqual([64, 80, 3]);
    expect(hf.tensors.has("encoder.blocks.0.attn.key.bias")).toBe(false);
  });

  it("gives identical tensors from the OpenAI-named file", () => {
    const oa = loadWhisperWeights(MICRO, { weightsFile: "model-openai.safetensors" });
    expect(oa.naming).toBe("openai");
    expect([...oa.tensors.keys()]).toEqual([...hf.tensors.keys()]);
    for (const [k, t] of hf.tensors) expect(Buffer.from(oa.tensors.get(k)!.bytes()).equals(Buffer.from(t.bytes()))).toBe(true);
  });

  it("holds whisper's sinusoid position table, which sinusoids() rebuilds", () => {
    const pe = hf.tensors.get("encoder.positional_embedding")!.toFloat32Array();
    const ours = sinusoids(1500, 64).toFloat32Array();
    let m = 0;
    for (let i = 0; i < pe.length; i++) m = Math.max(m, Math.abs(pe[i]! - ours[i]!));
    // float32 rounding of arguments up to 1500 rad in the reference (see sinusoids()).
    expect(m).toBeLessThan(2e-4);
    expect(Math.abs(pe[64 * 3 + 5]! - ours[64 * 3 + 5]!)).toBeLessThan(1e-6);
  });

  function modelDir(name: string, tensors: Map<string, Tensor>, files: "single" | "sharded" = "single"): string {
    const d = join(tmp, name);
    mkdirSync(d, { recursive: true });
    copyFileSync(`${MICRO}config.json`, join(d, "config.json"));
    if (files === "single") writeSafetensors(join(d, "model.safetensors"), tensors);
    else {
      const names = [...tensors.keys()];
      const half = Math.ceil(names.length / 2);
      const shards = [names.slice(0, half), names.slice(half)];
      const weightMap: Record<string, string> = {};
      shards.forEach((s, i) => {
        const f = `model-0000${i + 1}-of-00002.safetensors`;
        writeSafetensors(join(d, f), new Map(s.map((n) => [n, tensors.get(n)!])));
        for (const n of s) weightMap[n] = f;
      });
      writeFileSync(join(d, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    }
    return d;
  }
  const hfNamed = (): Map<string, Tensor> => new Map([...hf.tensors].map(([k, t]) => [openaiToHf(k)!, t]));

  it("loads sharded files, f16 storage, a tied proj_out, and a generation config", () => {
    const f16 = new Map([...hfNamed()].map(([k, t]) => [k, t.cast("f16")]));
    f16.set("proj_out.weight", f16.get("model.decoder.embed_tokens.weight")!);
    const d = modelDir("sharded", f16, "sharded");
    writeFileSync(join(d, "generation_config.json"), JSON.stringify({ alignment_heads: [[1, 0], [1, 1]], suppress_tokens: [1, 2], begin_suppress_tokens: [220, 50256] }));
    const w = loadWhisperWeights(d);
    expect(w.files.length).toBe(2);
    expect(w.tensors.size).toBe(89);
    const q = w.tensors.get("decoder.blocks.1.attn.query.weight")!;
    expect(q.dtype).toBe("f16");
    expect(q.data).toBeInstanceOf(Uint16Array);
    expect(w.config.alignmentHeads).toEqual([[1, 0], [1, 1]]);
    expect(w.config.beginSuppressTokens).toEqual([220, 50256]);
    const f32 = loadWhisperWeights(d, { dtype: "f32" }).tensors.get("decoder.blocks.1.attn.query.weight")!;
    const orig = hf.tensors.get("decoder.blocks.1.attn.query.weight")!.toFloat32Array();
    expect(f32.toFloat32Array()[5]).toBeCloseTo(orig[5]!, 2);
  });

  it("names the file and tensor for a missing tensor or a wrong shape", () => {
    const missing = hfNamed();
    missing.delete("model.decoder.layers.1.fc1.weight");
    expect(() => loadWhisperWeights(modelDir("missing", missing)))
      .toThrow(/missing[/\\]model\.safetensors: tensor 'decoder\.blocks\.1\.mlp\.0\.weight' \(HF name 'model\.decoder\.layers\.1\.fc1\.weight'\) is missing/);
    const wrong = hfNamed();
    wrong.set("model.encoder.layers.0.self_attn.q_proj.weight", Tensor.zeros("f32", [64, 32]));
    expect(() => loadWhisperWeights(modelDir("wrong", wrong)))
      .toThrow(/wrong[/\\]model\.safetensors: tensor 'model\.encoder\.layers\.0\.self_attn\.q_proj\.weight' has the wrong shape: expected \[64, 64\], got \[64, 32\]/);
    const noPos = hfNamed();
    noPos.delete("model.encoder.embed_positions.weight");
    expect(loadWhisperWeights(modelDir("nopos", noPos)).tensors.get("encoder.positional_embedding")!.shape).toEqual([1500, 64]);
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    expect(() => loadWhisperWeights(empty)).toThrow(/empty: no config\.json/);
    copyFileSync(`${MICRO}config.json`, join(empty, "config.json"));
    expect(() => loadWhisperWeights(empty)).toThrow(/empty: no model\.safetensors/);
    // A truncated download: the header promises more data than the file holds.
    const cut = join(tmp, "cut");
    mkdirSync(cut);
    copyFileSync(`${MICRO}config.json`, join(cut, "config.json"));
    writeFileSync(join(cut, "model.safetensors"), readFileSync(`${MICRO}model.safetensors`).subarray(0, 1_000_000));
    expect(() => loadWhisperWeights(cut)).toThrow(/cut[/\\]model\.safetensors: tensor '.*': truncated file/);
  });
});
