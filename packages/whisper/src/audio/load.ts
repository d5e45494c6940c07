// loadAudio: any audio file or buffer -> mono float32 at 16 kHz. WAV is decoded natively;
// every other format goes through an installed ffmpeg, exactly as whisper.audio.load_audio does.

import { spawn, spawnSync } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { AudioError, decodeWav, isWav } from "./wav.js";
import { resample } from "./resample.js";
import { SAMPLE_RATE } from "./mel.js";

/** Average all channels into one (the same as ffmpeg's `-ac 1` downmix for stereo). */
export function mixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const n = channels[0]?.length ?? 0;
  const out = new Float32Array(n);
  const k = channels.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += channels[c]![i]!;
    out[i] = s / k;
  }
  return out;
}

/** Decode WAV bytes to mono 16 kHz samples. */
export function wavToMono16k(bytes: Uint8Array, name = "<buffer>"): Float32Array {
  const wav = decodeWav(bytes, name);
  return resample(mixToMono(wav.channels), wav.sampleRate, SAMPLE_RATE);
}

let ffmpegFound: boolean | undefined;
/** Whether an `ffmpeg` executable is on PATH (checked once). */
export function hasFfmpeg(): boolean {
  if (ffmpegFound === undefined) {
    const r = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" });
    ffmpegFound = !r.error && r.status === 0;
  }
  return ffmpegFound;
}

/**
 * Decode anything ffmpeg understands (a file path, or the bytes of a file fed through stdin) to
 * mono 16 kHz PCM16, then to int16 / 32768 exactly as whisper.audio.load_audio does.
 */
export function decodeWithFfmpeg(input: string | Uint8Array, name = typeof input === "string" ? input : "<buffer>"): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const src = typeof input === "string" ? input : "pipe:0";
    const proc = spawn("ffmpeg", ["-nostdin", "-threads", "0", "-i", src, "-f", "s16le", "-ac", "1", "-acodec", "pcm_s16le", "-ar", String(SAMPLE_RATE), "-"], {
      stdio: [typeof input === "string" ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let err = "";
    proc.stdout!.on("data", (c: Buffer) => chunks.push(c));
    proc.stderr!.on("data", (c: Buffer) => { err = (err + c.toString("utf8")).slice(-4000); });
    if (typeof input !== "string") {
      // ffmpeg may stop reading early on bad input; that EPIPE is reported through its exit code.
      proc.stdin!.on("error", () => {});
      proc.stdin!.end(input);
    }
    proc.on("error", (e) => reject(new AudioError(`[loadAudio] ${name}: could not run ffmpeg: ${e.message}`)));
    proc.on("close", (code) => {
      if (code !== 0) {
        const last = err.trim().split("\n").slice(-2).join(" | ");
        reject(new AudioError(`[loadAudio] ${name}: ffmpeg could not decode the file as audio (exit ${code}): ${last}`));
        return;
      }
      const buf = Buffer.concat(chunks);
      const n = buf.length >> 1;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(2 * i) / 32768;
      resolve(out);
    });
  });
}

// Magic numbers of common audio containers, to tell "needs ffmpeg" apart from "not audio".
function looksLikeAudio(b: Uint8Array): string | undefined {
  const s = (at: number, n: number): string => String.fromCharCode(...b.subarray(at, at + n));
  if (s(0, 3) === "ID3" || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return "MP3";
  if (s(0, 4) === "fLaC") return "FLAC";
  if (s(0, 4) === "OggS") return "Ogg";
  if (s(4, 4) === "ftyp") return "MP4/M4A";
  if (s(0, 4) === "FORM") return "AIFF";
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return "WebM/Matroska";
  if (s(0, 4) === "RIFF") return "RIFF (not WAVE)";
  return undefined;
}

/**
 * Load audio as mono float32 samples at 16 kHz. A string is a file path; a Uint8Array holds the
 * bytes of a file. WAV (PCM 8/16/24/32, float 32/64, any rate and channel count) is decoded
 * here; other formats need ffmpeg on PATH, and without it the error says so.
 * Throws AudioError naming the file for a missing, empty, truncated or non-audio file.
 */
export async function loadAudio(pathOrBuffer: string | Uint8Array): Promise<Float32Array> {
  if (typeof pathOrBuffer !== "string") {
    const bytes = pathOrBuffer;
    if (bytes.length === 0) throw new AudioError(`[loadAudio] <buffer>: the buffer is empty`);
    if (isWav(bytes)) return wavToMono16k(bytes);
    if (hasFfmpeg()) return decodeWithFfmpeg(bytes);
    throw new AudioError(`[loadAudio] <buffer>: not WAV data; decoding other formats needs ffmpeg, which is not installed`);
  }
  const path = pathOrBuffer;
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new AudioError(`[loadAudio] ${path}: is a directory, expected an audio file`);
    size = st.size;
  } catch (e) {
    if (e instanceof AudioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new AudioError(code === "ENOENT" ? `[loadAudio] ${path}: file not found` : `[loadAudio] ${path}: cannot read: ${(e as Error).message}`);
  }
  if (size === 0) throw new AudioError(`[loadAudio] ${path}: the file is empty`);
  const bytes = await readFile(path);
  if (isWav(bytes)) return wavToMono16k(bytes, path);
  if (hasFfmpeg()) return decodeWithFfmpeg(path);
  const kind = looksLikeAudio(bytes);
  throw new AudioError(
    kind
      ? `[loadAudio] ${path}: ${kind} audio needs ffmpeg to decode, and ffmpeg is not installed (install ffmpeg, or convert the file to WAV)`
      : `[loadAudio] ${path}: not a WAV file, and not a recognised audio format (decoding other formats needs ffmpeg, which is not installed)`,
  );
}
