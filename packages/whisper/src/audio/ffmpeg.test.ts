// The ffmpeg route of loadAudio, against a stand-in `ffmpeg` on PATH (a small node script) that
// checks the arguments whisper uses and answers like ffmpeg: s16le on stdout, or an error exit.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasFfmpeg, loadAudio } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "mw-ffmpeg-"));
const oldPath = process.env.PATH;

beforeAll(() => {
  // The fake decodes files that start with "FAKE": every following byte b becomes int16 (b - 128) * 256.
  const script = `#!${process.execPath}
const fs = require("fs");
const a = process.argv.slice(2);
if (a[0] === "-version") { console.log("ffmpeg version fake"); process.exit(0); }
const want = ["-nostdin", "-f", "s16le", "-ac", "1", "-ar", "16000"];
for (const w of want) if (!a.includes(w)) { console.error("missing argument " + w); process.exit(2); }
const src = a[a.indexOf("-i") + 1];
const data = src === "pipe:0" ? fs.readFileSync(0) : fs.readFileSync(src);
if (data.subarray(0, 4).toString() !== "FAKE") { console.error(src + ": Invalid data found when processing input"); process.exit(1); }
const out = Buffer.alloc(2 * (data.length - 4));
for (let i = 4; i < data.length; i++) out.writeInt16LE((data[i] - 128) * 256, 2 * (i - 4));
process.stdout.write(out);
`;
  const bin = join(dir, "ffmpeg");
  writeFileSync(bin, script);
  chmodSync(bin, 0o755);
  process.env.PATH = `${dir}${delimiter}${oldPath}`;
});
afterAll(() => {
  process.env.PATH = oldPath;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === "win32")("loadAudio through ffmpeg", () => {
  it("decodes a non-WAV file and bytes to int16 / 32768", async () => {
    expect(hasFfmpeg()).toBe(true);
    const p = join(dir, "clip.mp3");
    writeFileSync(p, Buffer.concat([Buffer.from("FAKE"), Buffer.from([128, 129, 0, 255])]));
    const want = [0, 256, -32768, 127 * 256].map((v) => v / 32768);
    expect(Array.from(await loadAudio(p))).toEqual(want);
    expect(Array.from(await loadAudio(new Uint8Array(Buffer.concat([Buffer.from("FAKE"), Buffer.from([129])]))))).toEqual([256 / 32768]);
  });

  it("names the file when ffmpeg cannot decode it", async () => {
    const p = join(dir, "notes.txt");
    writeFileSync(p, "plain text, not audio");
    await expect(loadAudio(p)).rejects.toThrow(/notes\.txt: ffmpeg could not decode the file as audio \(exit 1\): .*Invalid data found/);
  });
});
