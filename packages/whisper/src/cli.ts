// The max-whisper command line: `max-whisper transcribe FILE...` loads a model, transcribes each
// file, prints the text to stdout and writes txt/json/srt/vtt outputs. Argument parsing and
// user-facing errors live here; transcription is transcribe.ts, formats are output/writers.ts.

import { parseArgs } from "node:util";
import { mkdir } from "node:fs/promises";
import cliProgress from "cli-progress";
import type { Device } from "@max-whisper/graph";
import { Whisper } from "./whisper.js";
import { loadAudio, SAMPLE_RATE } from "./audio/index.js";
import { downloadProgressBar } from "./weights/index.js";
import { normalizeLanguage } from "./tokenizer/index.js";
import { OUTPUT_FORMATS, type OutputFormat, writeResult } from "./output/writers.js";
import type { TranscribeOptions } from "./transcribe.js";

const USAGE = `Usage: max-whisper transcribe FILE... [options]

Options:
  --model NAME|DIR                 model name (tiny.en, base, small, ...) or a model folder (default tiny.en)
  --device auto|cpu|cuda|reference (default auto)
  --language LANG                  spoken language (default: detected; English-only models: en)
  --task transcribe|translate      (default transcribe)
  --output-format txt|json|srt|vtt|all   (default all)
  --output-dir DIR                 where outputs go (default .)
  --threads N                      cpu worker threads (default: all cores)
  --dtype f32|f16                  weight storage; f16 halves what each decoder step reads (default f32)
  --no-timestamps                  decode without timestamp tokens (whole 30 s windows)
  --temperature T                  first temperature (default 0), or a comma list used as given
  --temperature-increment-on-fallback X|none   fallback temperatures T, T+X, ... up to 1.0 (default 0.2)
  --best-of N                      candidates sampled at temperature > 0 (default 5)
  --seed N                         seed of the sampling generator (default 0)
  --initial-prompt TEXT            text to prompt the first window with
  --condition-on-previous-text true|false   (default true)
  --word-timestamps                word-level timestamps in json, srt and vtt
  --max-words-per-line N           word-level subtitle cues of at most N words (with --word-timestamps)
  -h, --help`;

/** A user error: printed as one line, exit code 2 (bad usage) or 1 (bad input). */
class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function parseNumber(name: string, v: string | undefined, integer: boolean, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min)
    throw new CliError(`--${name}: expected ${integer ? "an integer" : "a number"} >= ${min}, got "${v}"`, 2);
  return n;
}

/** openai-whisper's CLI: arange(t, 1.0 + 1e-6, increment), or [t] without an increment; a comma list is used as given. */
function temperatures(v: string | undefined, inc: string | undefined): number[] {
  if (v?.includes(",")) return v.split(",").map((x) => parseNumber("temperature", x, false, 0)!);
  const t = parseNumber("temperature", v, false, 0) ?? 0;
  if (inc?.toLowerCase() === "none") return [t];
  const step = parseNumber("temperature-increment-on-fallback", inc, false, 0) ?? 0.2;
  if (step === 0) return [t];
  const out: number[] = [];
  for (let i = 0; t + i * step < 1.0 + 1e-6; i++) out.push(t + i * step);
  return out.length > 0 ? out : [t];
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        model: { type: "string", default: "tiny.en" },
        device: { type: "string", default: "auto" },
        language: { type: "string" },
        task: { type: "string", default: "transcribe" },
        "output-format": { type: "string", default: "all" },
        "output-dir": { type: "string", default: "." },
        threads: { type: "string" },
        dtype: { type: "string", default: "f32" },
        "no-timestamps": { type: "boolean", default: false },
        temperature: { type: "string" },
        "temperature-increment-on-fallback": { type: "string" },
        "best-of": { type: "string" },
        seed: { type: "string" },
        "initial-prompt": { type: "string" },
        "condition-on-previous-text": { type: "string", default: "true" },
        "word-timestamps": { type: "boolean", default: false },
        "max-words-per-line": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`max-whisper: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values: v, positionals } = args;
  if (v.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  try {
    const [command, ...files] = positionals;
    if (command !== "transcribe") throw new CliError(command === undefined ? "missing command: expected `transcribe FILE...`" : `unknown command "${command}": expected transcribe`, 2);
    if (files.length === 0) throw new CliError("transcribe: expected at least one audio file", 2);
    const device = v.device as Device;
    if (!["auto", "cpu", "cuda", "reference"].includes(device)) throw new CliError(`--device: expected auto, cpu, cuda or reference, got "${v.device}"`, 2);
    if (v.task !== "transcribe" && v.task !== "translate") throw new CliError(`--task: expected transcribe or translate, got "${v.task}"`, 2);
    const fmt = v["output-format"]!;
    if (fmt !== "all" && !OUTPUT_FORMATS.includes(fmt as OutputFormat)) throw new CliError(`--output-format: expected txt, json, srt, vtt or all, got "${fmt}"`, 2);
    const formats = fmt === "all" ? OUTPUT_FORMATS : [fmt as OutputFormat];
    const cond = v["condition-on-previous-text"]!.toLowerCase();
    if (cond !== "true" && cond !== "false") throw new CliError(`--condition-on-previous-text: expected true or false, got "${v["condition-on-previous-text"]}"`, 2);
    let language: string | undefined;
    if (v.language !== undefined) {
      try {
        language = normalizeLanguage(v.language);
      } catch (e) {
        throw new CliError(`--language: ${(e as Error).message}`, 2);
      }
    }
    const maxWords = parseNumber("max-words-per-line", v["max-words-per-line"], true, 1);
    if (maxWords !== undefined && !v["word-timestamps"]) throw new CliError("--max-words-per-line: needs --word-timestamps (cues are built from words)", 2);
    const options: TranscribeOptions = {
      language, task: v.task,
      temperature: temperatures(v.temperature, v["temperature-increment-on-fallback"]),
      bestOf: parseNumber("best-of", v["best-of"], true, 1),
      seed: parseNumber("seed", v.seed, true, -(2 ** 31)),
      initialPrompt: v["initial-prompt"],
      conditionOnPreviousText: cond === "true",
      withoutTimestamps: v["no-timestamps"],
      wordTimestamps: v["word-timestamps"],
    };
    const threads = parseNumber("threads", v.threads, true, 1);
    const dtype = v.dtype;
    if (dtype !== "f32" && dtype !== "f16") throw new CliError(`--dtype: expected f32 or f16, got "${v.dtype}"`, 2);
    await mkdir(v["output-dir"]!, { recursive: true });

    let model: Whisper | undefined;
    let failed = 0;
    for (const file of files) {
      try {
        const audio = await loadAudio(file);
        if (!model) {
          const dl = process.stderr.isTTY ? downloadProgressBar() : undefined;
          try {
            model = await Whisper.load(v.model!, { device, threads, dtype, download: { onProgress: dl?.onProgress } });
          } catch (e) {
            throw new CliError(`--model ${v.model}: ${oneLine(e)}`);
          } finally {
            dl?.stop();
          }
        }
        const result = await transcribeWithBar(model, audio, options);
        await writeResult(result, file, v["output-dir"]!, formats, { maxWordsPerLine: maxWords });
        process.stdout.write(result.text.trim() + "\n");
      } catch (e) {
        // A bad model stops everything; a bad audio file is reported and the next one goes on.
        if (e instanceof CliError) throw e;
        process.stderr.write(`max-whisper: ${oneLine(e)}\n`);
        failed++;
      }
    }
    model?.dispose();
    return failed > 0 ? 1 : 0;
  } catch (e) {
    process.stderr.write(`max-whisper: ${oneLine(e)}\n`);
    return e instanceof CliError ? e.code : 1;
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

/** Transcribe with a progress bar on stderr when it is a terminal and the audio is over 30 s. */
async function transcribeWithBar(model: Whisper, audio: Float32Array, options: TranscribeOptions): ReturnType<Whisper["transcribe"]> {
  if (!process.stderr.isTTY || audio.length <= 30 * SAMPLE_RATE) return model.transcribe(audio, { ...options });
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: "transcribing [{bar}] {percentage}% | ETA {eta_formatted}", hideCursor: false }, cliProgress.Presets.shades_classic);
  bar.start(100, 0);
  try {
    return await model.transcribe(audio, { ...options, onProgress: (f: number) => bar.update(Math.round(f * 100)) });
  } finally {
    bar.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
