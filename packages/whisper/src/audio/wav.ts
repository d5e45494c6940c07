// RIFF/WAVE parsing: PCM 8/16/24/32-bit integers, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE,
// any channel count. Decodes to per-channel float samples; mixing and resampling live in load.ts.

export interface WavData {
  sampleRate: number;
  /** One Float32Array per channel, all the same length. */
  channels: Float32Array[];
  /** e.g. "pcm16", "pcm24", "float32". */
  format: string;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export class AudioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AudioError";
  }
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** True when the bytes start with a RIFF/WAVE header. */
export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && fourcc(bytes, 0) === "RIFF" && fourcc(bytes, 8) === "WAVE";
}

/**
 * Decode a WAV file held in memory. `name` is only used in error messages (the file path).
 * Integer PCM maps to [-1, 1) by dividing by 2^(bits-1), so PCM16 is exactly int16 / 32768 as
 * in whisper; 8-bit PCM is unsigned with 128 as zero.
 */
export function decodeWav(bytes: Uint8Array, name = "<buffer>"): WavData {
  if (bytes.length === 0) throw new AudioError(`[loadAudio] ${name}: the file is empty`);
  if (!isWav(bytes)) throw new AudioError(`[loadAudio] ${name}: not a WAV file (no RIFF/WAVE header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { tag: number; channels: number; rate: number; align: number; bits: number } | undefined;
  let data: { at: number; size: number } | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length)
        throw new AudioError(`[loadAudio] ${name}: fmt chunk too short: expected at least 16 bytes, got ${Math.min(size, bytes.length - body)}`);
      let tag = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const align = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        // The real format is the first two bytes of the SubFormat GUID at offset 24 of the chunk.
        if (size < 40 || body + 26 > bytes.length)
          throw new AudioError(`[loadAudio] ${name}: WAVE_FORMAT_EXTENSIBLE fmt chunk too short: expected 40 bytes, got ${size}`);
        tag = view.getUint16(body + 24, true);
      }
      fmt = { tag, channels, rate, align, bits };
    } else if (id === "data") {
      const rest = bytes.length - body;
      // Streaming writers leave the size unset (0 or 0xFFFFFFFF) when they cannot seek back.
      if (size === 0xffffffff || (size === 0 && rest > 0)) data = { at: body, size: rest };
      else if (size > rest)
        throw new AudioError(`[loadAudio] ${name}: truncated data chunk: header says ${size} bytes, file holds ${rest}`);
      else data = { at: body, size };
      if (fmt) break;
    }
    at = body + size + (size & 1);
  }
  if (!fmt) throw new AudioError(`[loadAudio] ${name}: WAV file has no fmt chunk`);
  if (!data) throw new AudioError(`[loadAudio] ${name}: WAV file has no data chunk`);
  const { tag, channels, rate, bits } = fmt;
  if (channels < 1) throw new AudioError(`[loadAudio] ${name}: bad channel count: expected >= 1, got ${channels}`);
  if (rate < 1) throw new AudioError(`[loadAudio] ${name}: bad sample rate: expected > 0, got ${rate}`);
  let format: string;
  if (tag === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits)) format = `pcm${bits}`;
  else if (tag === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64)) format = `float${bits}`;
  else
    throw new AudioError(
      `[loadAudio] ${name}: unsupported WAV encoding: expected PCM 8/16/24/32-bit or float 32/64, got format tag 0x${tag.toString(16)} with ${bits} bits`,
    );
  const width = bits / 8;
  const frameBytes = width * channels;
  const frames = Math.floor(data.size / frameBytes);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const base = data.at;
  for (let c = 0; c < channels; c++) {
    const dst = out[c]!;
    let p = base + c * width;
    switch (format) {
      case "pcm8":
        for (let i = 0; i < frames; i++, p += frameBytes) dst[i] = (bytes[p]! - 128) / 128;
        break;
      case "pcm16":
        for (let i = 0; i < frames; i++, p += frameBytes) dst[i] = view.getInt16(p, true) / 32768;
        break;
      case "pcm24":
        for (let i = 0; i < frames; i++, p += frameBytes) {
          const v = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16);
          dst[i] = ((v << 8) >> 8) / 8388608;
        }
        break;
      case "pcm32":
        for (let i = 0; i < frames; i++, p += frameBytes) dst[i] = view.getInt32(p, true) / 2147483648;
        break;
      case "float32":
        for (let i = 0; i < frames; i++, p += frameBytes) dst[i] = view.getFloat32(p, true);
        break;
      case "float64":
        for (let i = 0; i < frames; i++, p += frameBytes) dst[i] = view.getFloat64(p, true);
        break;
    }
  }
  return { sampleRate: rate, channels: out, format };
}

/**
 * Encode samples as a WAV file (PCM16 by default, or float32). Used by tests and tools to make
 * inputs; samples outside [-1, 1] are clipped for PCM16.
 */
export function encodeWav(channels: Float32Array[], sampleRate: number, format: "pcm16" | "float32" = "pcm16"): Uint8Array {
  const nch = channels.length;
  const frames = channels[0]?.length ?? 0;
  const width = format === "pcm16" ? 2 : 4;
  const dataSize = frames * nch * width;
  const out = new Uint8Array(44 + dataSize);
  const v = new DataView(out.buffer);
  const put = (at: number, s: string): void => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  put(0, "RIFF"); v.setUint32(4, 36 + dataSize, true); put(8, "WAVE");
  put(12, "fmt "); v.setUint32(16, 16, true);
  v.setUint16(20, format === "pcm16" ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, true);
  v.setUint16(22, nch, true); v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * nch * width, true); v.setUint16(32, nch * width, true); v.setUint16(34, width * 8, true);
  put(36, "data"); v.setUint32(40, dataSize, true);
  let p = 44;
  for (let i = 0; i < frames; i++)
    for (let c = 0; c < nch; c++, p += width) {
      const x = channels[c]![i]!;
      if (format === "pcm16") v.setInt16(p, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
      else v.setFloat32(p, x, true);
    }
  return out;
}
