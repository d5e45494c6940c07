import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { f16BitsToF32 } from "@max-whisper/graph";
import { exportModelToGgml, readGgmlIndex } from "./ggml.js";
import { loadWhisperWeights } from "../weights/index.js";

const MICRO = path.resolve(import.meta.dirname, "../../../../../shared/fixtures/whisper-micro");

describe("ggml exporter", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mw-ggml-"));
  const file = path.join(dir, "micro-f16.bin");

  it("writes whisper.cpp's layout: hparams, filters, byte vocab, tensors innermost-first", async () => {
    await exportModelToGgml(MICRO, file, "f16");
    const buf = new Uint8Array(readFileSync(file));
    const idx = readGgmlIndex(buf);
    // n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels
    expect(idx.hparams).toEqual([51864, 1500, 64, 2, 2, 448, 64, 2, 2, 80]);
    expect(idx.ftype).toBe(1);
    expect([idx.nMel, idx.nFft]).toEqual([80, 201]);
    expect(idx.vocab).toHaveLength(50256);
    expect(new TextDecoder().decode(idx.vocab[31373])).toBe("hello");
    const { tensors } = loadWhisperWeights(MICRO);
    expect(idx.tensors).toHaveLength(tensors.size);
    const byName = new Map(idx.tensors.map((t) => [t.name, t]));
    // Linear [out, in] is stored innermost first as [in, out], in f16.
    const q = byName.get("encoder.blocks.0.attn.query.weight")!;
    expect(q.ne).toEqual([64, 64]);
    expect(q.ftype).toBe(1);
    const conv = byName.get("encoder.conv1.weight")!;
    expect(conv.ne).toEqual([3, 80, 64]);
    expect(byName.get("encoder.conv1.bias")!.ne).toEqual([1, 64]);
    expect(byName.get("decoder.positional_embedding")!).toMatchObject({ ne: [64, 448], ftype: 0 });
    expect(byName.get("encoder.blocks.0.attn_ln.weight")!.ftype).toBe(0);
    // The data round-trips: first values of the token embedding, through f16.
    const emb = byName.get("decoder.token_embedding.weight")!;
    const want = tensors.get("decoder.token_embedding.weight")!.toFloat32Array();
    const dv = new DataView(buf.buffer, buf.byteOffset + emb.offset);
    for (let i = 0; i < 8; i++) expect(f16BitsToF32(dv.getUint16(2 * i, true))).toBeCloseTo(want[i]!, 2);
  });
});
