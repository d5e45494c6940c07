// Transcript writers in openai-whisper's formats (utils.py): txt, json, srt and vtt, with
// word-level subtitle cues, and an atomic file write (temp file + rename) so a failure never
// leaves a partial output file behind.

import { randomBytes } from "node:crypto";
import { rm, writeFile, rename } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { TranscribeResult } from "../transcribe.js";
import { pyStrip } from "../decoding/compression.js";

export type OutputFormat = "txt" | "json" | "srt" | "vtt";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["txt", "json", "srt", "vtt"];

export interface SubtitleOptions {
  /** Split each segment's words into cues of at most this many words (needs word timestamps). */
  maxWordsPerLine?: number;
  /** Break lines wider than this many characters (with maxLineCount; needs word timestamps). */
  maxLineWidth?: number;
  /** Start a new cue after this many lines (needs word timestamps). */
  maxLineCount?: number;
}

/** HH:MM:SS.mmm as openai-whisper prints it: hours only when asked or nonzero. */
export function formatTimestamp(seconds: number, alwaysIncludeHours = false, decimalMarker = "."): string {
  if (!(seconds >= 0)) throw new RangeError(`[formatTimestamp] seconds: expected a non-negative number, got ${seconds}`);
  let ms = roundHalfEven(seconds * 1000);
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const secs = Math.floor(ms / 1000);
  ms -= secs * 1000;
  const h = alwaysIncludeHours || hours > 0 ? `${pad(hours, 2)}:` : "";
  return `${h}${pad(minutes, 2)}:${pad(secs, 2)}${decimalMarker}${pad(ms, 3)}`;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python len(): code points. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

interface Cue { start: number; end: number; text: string }

/** openai-whisper's SubtitlesWriter.iterate_result: cues from words when present, else segments. */
export function subtitleCues(result: TranscribeResult, opts: SubtitleOptions = {}): Cue[] {
  const segs = result.segments;
  const cues: Cue[] = [];
  if (segs.length > 0 && segs[0]!.words !== undefined) {
    const preserveSegments = opts.maxLineCount === undefined || opts.maxLineWidth === undefined;
    const maxLineWidth = opts.maxLineWidth || 1000;
    const maxWords = opts.maxWordsPerLine || 1000;
    const maxLineCount = opts.maxLineCount;
    type T = { word: string; start: number; end: number };
    let lineLen = 0, lineCount = 1;
    let subtitle: T[] = [];
    const emit = (s: T[]): void => {
      cues.push({ start: s[0]!.start, end: s[s.length - 1]!.end, text: s.map((w) => w.word).join("") });
    };
    let last = firstStart(result) ?? 0;
    for (const seg of segs) {
      const words = seg.words ?? [];
      let chunk = 0, count = maxWords;
      while (chunk < words.length) {
        if (maxWords > words.length - chunk) count = words.length - chunk;
        words.slice(chunk, chunk + count).forEach((orig, i) => {
          const t = { word: orig.word, start: orig.start, end: orig.end };
          const longPause = !preserveSegments && t.start - last > 3.0;
          const hasRoom = lineLen + pyLen(t.word) <= maxLineWidth;
          const segBreak = i === 0 && subtitle.length > 0 && preserveSegments;
          if (lineLen > 0 && hasRoom && !longPause && !segBreak) {
            lineLen += pyLen(t.word);
          } else {
            t.word = pyStrip(t.word);
            if ((subtitle.length > 0 && maxLineCount !== undefined && (longPause || lineCount >= maxLineCount)) || segBreak) {
              emit(subtitle);
              subtitle = [];
              lineCount = 1;
            } else if (lineLen > 0) {
              lineCount++;
              t.word = "\n" + t.word;
            }
            lineLen = pyLen(pyStrip(t.word));
          }
          subtitle.push(t);
          last = t.start;
        });
        chunk += maxWords;
      }
    }
    if (subtitle.length > 0) emit(subtitle);
  } else {
    for (const s of segs) cues.push({ start: s.start, end: s.end, text: pyStrip(s.text).replaceAll("-->", "->") });
  }
  return cues;
}

function firstStart(result: TranscribeResult): number | undefined {
  for (const s of result.segments) if (s.words && s.words.length > 0) return s.words[0]!.start;
  return result.segments.length > 0 ? result.segments[0]!.start : undefined;
}

export function formatTxt(result: TranscribeResult): string {
  return result.segments.map((s) => pyStrip(s.text) + "\n").join("");
}

export function formatJson(result: TranscribeResult): string {
  return JSON.stringify(result);
}

export function formatVtt(result: TranscribeResult, opts: SubtitleOptions = {}): string {
  let out = "WEBVTT\n\n";
  for (const c of subtitleCues(result, opts)) out += `${formatTimestamp(c.start)} --> ${formatTimestamp(c.end)}\n${c.text}\n\n`;
  return out;
}

export function formatSrt(result: TranscribeResult, opts: SubtitleOptions = {}): string {
  let out = "";
  subtitleCues(result, opts).forEach((c, i) => {
    out += `${i + 1}\n${formatTimestamp(c.start, true, ",")} --> ${formatTimestamp(c.end, true, ",")}\n${c.text}\n\n`;
  });
  return out;
}

export function formatResult(result: TranscribeResult, format: OutputFormat, opts: SubtitleOptions = {}): string {
  switch (format) {
    case "txt": return formatTxt(result);
    case "json": return formatJson(result);
    case "srt": return formatSrt(result, opts);
    case "vtt": return formatVtt(result, opts);
    default: throw new RangeError(`[output] format: expected one of ${OUTPUT_FORMATS.join(", ")}, got ${String(format)}`);
  }
}

/**
 * Write `text` to `path` atomically: a temp file in the same folder, then rename over the
 * target. On any failure the temp file is removed and the target is left as it was.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, "utf8");
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Write a result as `<outputDir>/<audio file name without extension>.<format>` for each format;
 * returns the paths written.
 */
export async function writeResult(result: TranscribeResult, audioPath: string, outputDir: string, formats: readonly OutputFormat[], opts: SubtitleOptions = {}): Promise<string[]> {
  const stem = basename(audioPath, extname(audioPath));
  const texts = formats.map((f) => [join(outputDir, `${stem}.${f}`), formatResult(result, f, opts)] as const);
  const written: string[] = [];
  for (const [path, text] of texts) {
    await writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}
