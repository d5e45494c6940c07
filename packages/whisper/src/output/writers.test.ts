// Transcript writers: timestamp formatting, txt/json/srt/vtt text, word-level cues, atomic writes.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Segment, TranscribeResult } from "../transcribe.js";
import { formatJson, formatSrt, formatTimestamp, formatTxt, formatVtt, writeFileAtomic, writeResult } from "./writers.js";

function seg(id: number, start: number, end: number, text: string, words?: Segment["words"]): Segment {
  return { id, seek: 0, start, end, text, tokens: [id], temperature: 0, avgLogprob: -1, compressionRatio: 1, noSpeechProb: 0, ...(words ? { words } : {}) };
}
const result: TranscribeResult = {
  text: " Hello there. General --> Kenobi", language: "en",
  segments: [seg(0, 0, 1.5, " Hello there."), seg(1, 3661.0015, 3662.25, " General --> Kenobi")],
};

describe("formatTimestamp", () => {
  it("prints like openai-whisper", () => {
    expect(formatTimestamp(0)).toBe("00:00.000");
    expect(formatTimestamp(61.5)).toBe("01:01.500");
    expect(formatTimestamp(3661.0015, true, ",")).toBe("01:01:01,002");
    expect(formatTimestamp(1.0005)).toBe("00:01.000"); // 1000.5 ms is not exact in binary: rounds down
    expect(formatTimestamp(3600)).toBe("01:00:00.000");
    expect(() => formatTimestamp(-1)).toThrow(/non-negative/);
  });
});

describe("writers", () => {
  it("writes txt, srt and vtt from segments", () => {
    expect(formatTxt(result)).toBe("Hello there.\nGeneral --> Kenobi\n");
    expect(formatSrt(result)).toBe(
      "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:01:01,002 --> 01:01:02,250\nGeneral -> Kenobi\n\n");
    expect(formatVtt(result)).toBe("WEBVTT\n\n00:00.000 --> 00:01.500\nHello there.\n\n01:01:01.002 --> 01:01:02.250\nGeneral -> Kenobi\n\n");
    const j = JSON.parse(formatJson(result));
    expect(j.segments[1].tokens).toEqual([1]);
    expect(j.segments[0].avgLogprob).toBe(-1);
  });

  it("writes word-level cues, at most N words each", () => {
    const words = [
      { word: " One", start: 0, end: 0.5, probability: 0.9 },
      { word: " two", start: 0.5, end: 1, probability: 0.9 },
      { word: " three.", start: 1, end: 1.4, probability: 0.9 },
    ];
    const r: TranscribeResult = { text: " One two three.", language: "en", segments: [seg(0, 0, 1.4, " One two three.", words)] };
    expect(formatVtt(r, { maxWordsPerLine: 2 })).toBe("WEBVTT\n\n00:00.000 --> 00:01.000\nOne two\n\n00:01.000 --> 00:01.400\nthree.\n\n");
    expect(formatSrt(r)).toBe("1\n00:00:00,000 --> 00:00:01,400\nOne two three.\n\n");
    expect(JSON.parse(formatJson(r)).segments[0].words[2]).toEqual(words[2]);
  });

  it("writes atomically: a failed write leaves neither the target nor a temp file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mw-out-"));
    await writeFileAtomic(join(dir, "a.txt"), "hi");
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe("hi");
    // The target is a directory-blocked path: rename over a non-empty directory fails.
    const blocked = join(dir, "b.txt");
    writeFileSync(join(dir, "x"), "");
    await import("node:fs").then((fs) => { fs.mkdirSync(blocked); fs.writeFileSync(join(blocked, "keep"), ""); });
    await expect(writeFileAtomic(blocked, "data")).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(["a.txt", "b.txt", "x"]);
    const paths = await writeResult(result, "/some/where/clip.final.wav", dir, ["txt", "srt"]);
    expect(paths).toEqual([join(dir, "clip.final.txt"), join(dir, "clip.final.srt")]);
  });
});
