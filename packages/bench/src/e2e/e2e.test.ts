// The end-to-end runners are checked before they are trusted: on the micro fixture model, each
// system's greedy tokens must equal the PyTorch fixture's (same weights, same rule).
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runOrtWhisper } from "./ort-whisper.js";
import { TORCH_PYTHON, torchUnavailable } from "../peers/torch.js";
import { benchCacheDir, parseBenchOutput } from "../peers/whispercpp.js";
import { exportModelToGgml, loadWhisperWeights, writeGgml } from "@max-whisper/whisper";

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const MICRO = path.resolve(ROOT, "../shared/fixtures/whisper-micro");
const JFK = path.join(ROOT, "samples/jfk.wav");
const raw = readFileSync(path.join(MICRO, "greedy_tokens.bin"));
const want = Array.from(new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));

describe("e2e runners reproduce the fixture's greedy tokens", () => {
  it("onnxruntime-node on this project's ONNX export", async () => {
    const r = await runOrtWhisper(MICRO, JFK, 24, 1, 2);
    expect(r.runs[0]!.tokens).toEqual(want);
  });

  const why = torchUnavailable();
  if (why) console.log(`skipping the PyTorch reference runner: ${why}`);
  it.skipIf(why !== null)("PyTorch reference Whisper (ref_whisper.py)", () => {
    // ref_whisper.py reads OpenAI names from model.safetensors: give it the OpenAI-named file.
    const dir = mkdtempSync(path.join(os.tmpdir(), "mw-ref-"));
    copyFileSync(path.join(MICRO, "config.json"), path.join(dir, "config.json"));
    symlinkSync(path.join(MICRO, "model-openai.safetensors"), path.join(dir, "model.safetensors"));
    const script = fileURLToPath(new URL("./ref_whisper.py", import.meta.url));
    const filters = path.join(ROOT, "packages/whisper/assets/mel_filters_80.bin");
    const out = JSON.parse(execFileSync(TORCH_PYTHON, [script, dir, JFK, "24", "1", "2", filters], { encoding: "utf8" }));
    expect(out.runs[0].tokens).toEqual(want);
  });
});

describe("whisper.cpp output parsing", () => {
  it("reads encoder ms and decode ms per token from whisper-bench", () => {
    const text = "whisper_print_timings:   encode time =  1107.88 ms /     1 runs (  1107.88 ms per run)\n" +
      "whisper_print_timings:   decode time = 47979.76 ms /   256 runs (   187.42 ms per run)\n";
    expect(parseBenchOutput(text)).toEqual({ encodeMs: 1107.88, decodeMsPerToken: 187.42 });
    expect(() => parseBenchOutput("garbage")).toThrow(/cannot read whisper-bench/);
  });
});

describe("the ggml export loads in whisper.cpp", () => {
  const build = (() => {
    const root = path.join(benchCacheDir(), "whisper.cpp/package/cpp/whisper.cpp/build/bin/whisper-cli");
    return existsSync(root) ? root : null;
  })();
  if (!build) console.log("skipping the whisper.cpp load test: no whisper.cpp build in the bench cache (`pnpm bench:e2e` builds it, several minutes)");
  const load = (file: string) => {
    const notAudio = path.join(path.dirname(file), "not-audio.wav");
    writeFileSync(notAudio, "not audio");
    // whisper-cli loads the model before it reads the audio, so a non-audio file stops it right after the load.
    const r = spawnSync(build!, ["-m", file, "-f", notAudio, "-t", "1"], { encoding: "utf8", timeout: 60_000 });
    return r.stdout + r.stderr;
  };
  it.skipIf(!build)("whisper-cli loads every tensor of the micro model's f16 export", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "mw-ggml-")), "micro.bin");
    await exportModelToGgml(MICRO, file, "f16");
    const out = load(file);
    expect(out).toMatch(/model size\s*=\s*7\.\d+ MB/);
    expect(out).not.toMatch(/unknown tensor|wrong shape|not all tensors/);
  });
  it.skipIf(!build)("and rejects a file whose tensor has the wrong shape", () => {
    const { config: c, tensors } = loadWhisperWeights(MICRO);
    const bad = new Map(tensors);
    const w = tensors.get("encoder.blocks.0.mlp.0.weight")!;
    bad.set("encoder.blocks.0.mlp.0.weight", w.reshape([w.shape[1]!, w.shape[0]!]));
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "mw-ggml-")), "bad.bin");
    writeGgml(file, {
      hparams: c,
      ftype: "f16", melFilters: { nMel: 80, nFft: 201, data: new Float32Array(80 * 201) }, vocab: [], tensors: bad,
    });
    expect(load(file)).toMatch(/wrong shape/);
  });
});
