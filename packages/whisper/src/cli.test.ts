// The max-whisper CLI end to end, spawned as a child process (node --import tsx src/cli.ts): all
// four outputs for samples/jfk.wav with the micro model, word timestamps in JSON and VTT, and
// bad inputs failing with a one-line message naming the file and writing nothing.

import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MICRO_DIR, testDevices } from "./model/micro-fixture.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const JFK = join(ROOT, "samples/jfk.wav");
const hasCpu = (await testDevices()).includes("cpu");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env: { ...process.env, HF_HUB_OFFLINE: "1" } });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const tmp = (): string => mkdtempSync(join(tmpdir(), "mw-cli-"));

describe.skipIf(!hasCpu)("max-whisper transcribe (cpu)", () => {
  it("writes txt, json, srt and vtt with word timestamps and prints the text", async () => {
    const out = tmp();
    const r = await run(["transcribe", JFK, "--model", MICRO_DIR, "--device", "cpu", "--output-dir", out,
      "--temperature", "0", "--temperature-increment-on-fallback", "none", "--word-timestamps", "--max-words-per-line", "2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["jfk.json", "jfk.srt", "jfk.txt", "jfk.vtt"]);
    const json = JSON.parse(readFileSync(join(out, "jfk.json"), "utf8"));
    expect(json.language).toBe("en");
    expect(r.stdout.trim()).toBe(json.text.trim());
    const words = json.segments.flatMap((s: { words: { word: string; start: number; end: number }[] }) => s.words);
    expect(words.length).toBeGreaterThan(0);
    for (const w of words) expect(w.end).toBeGreaterThanOrEqual(w.start);
    const txt = readFileSync(join(out, "jfk.txt"), "utf8");
    expect(txt).toBe(json.segments.map((s: { text: string }) => s.text.trim() + "\n").join(""));
    const vtt = readFileSync(join(out, "jfk.vtt"), "utf8");
    expect(vtt.startsWith("WEBVTT\n\n")).toBe(true);
    // Word-level cues: each holds at most two words, and the first cue starts at the first word.
    const cues = vtt.slice(8).trim().split("\n\n").map((c) => c.split("\n"));
    for (const c of cues) expect(c[1]!.trim().split(/\s+/).length).toBeLessThanOrEqual(2);
    const fmt = (t: number): string => `${String(Math.floor(t / 60)).padStart(2, "0")}:${(t % 60).toFixed(3).padStart(6, "0")}`;
    expect(cues[0]![0]!.startsWith(fmt(words[0].start))).toBe(true);
    const srt = readFileSync(join(out, "jfk.srt"), "utf8");
    expect(srt.startsWith("1\n00:00:")).toBe(true);
  }, 180_000);

  it("runs with f16 weights (--dtype f16)", async () => {
    const out = tmp();
    const r = await run(["transcribe", JFK, "--model", MICRO_DIR, "--device", "cpu", "--dtype", "f16", "--output-dir", out,
      "--output-format", "json", "--temperature", "0", "--temperature-increment-on-fallback", "none"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "jfk.json"), "utf8"));
    expect(json.segments.length).toBeGreaterThan(0);
    expect(r.stdout.trim()).toBe(json.text.trim());
  }, 180_000);
});

describe("max-whisper transcribe: bad inputs", () => {
  const expectFailure = async (args: string[], pattern: RegExp, out: string): Promise<void> => {
    const r = await run(["transcribe", ...args, "--output-dir", out, "--device", "reference"]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines.length, r.stderr).toBe(1);
    expect(lines[0]).toMatch(pattern);
    expect(readdirSync(out)).toEqual([]);
  };

  it("a missing file", async () => {
    const out = tmp();
    await expectFailure([join(out, "../nope.wav"), "--model", MICRO_DIR], /nope\.wav: file not found/, out);
  }, 60_000);

  it("an empty file and a non-audio file", async () => {
    const dir = tmp(), out = join(dir, "out");
    mkdirSync(out);
    writeFileSync(join(dir, "empty.wav"), "");
    writeFileSync(join(dir, "notes.wav"), "this is not audio at all, just text\n".repeat(20));
    await expectFailure([join(dir, "empty.wav"), "--model", MICRO_DIR], /empty\.wav: the file is empty/, out);
    await expectFailure([join(dir, "notes.wav"), "--model", MICRO_DIR], /notes\.wav/, out);
  }, 60_000);

  it("a corrupt model folder", async () => {
    const dir = tmp(), model = join(dir, "model"), out = join(dir, "out");
    mkdirSync(model);
    mkdirSync(out);
    copyFileSync(join(MICRO_DIR, "config.json"), join(model, "config.json"));
    writeFileSync(join(model, "model.safetensors"), readFileSync(join(MICRO_DIR, "model.safetensors")).subarray(0, 5000));
    await expectFailure([JFK, "--model", model], /model\.safetensors/, out);
    expect(existsSync(join(out, "jfk.txt"))).toBe(false);
  }, 60_000);

  it("a bad option value", async () => {
    const out = tmp();
    await expectFailure([JFK, "--output-format", "docx"], /--output-format: expected txt, json, srt, vtt or all, got "docx"/, out);
    await expectFailure([JFK, "--dtype", "f64"], /--dtype: expected f32 or f16, got "f64"/, out);
  }, 60_000);
});
