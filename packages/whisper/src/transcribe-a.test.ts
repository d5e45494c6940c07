// transcribe() against openai-whisper's own transcribe() on long.wav (41 s, micro model): three of
// the five golden configurations (the others are in transcribe-b.test.ts, so the two files run in parallel).
// NOTE: these run on cpu only. The reference interpreter needs ~1 s a decoder step here, and one
// configuration is ~450 steps (~10 min for no_timestamps, measured), so reference parity is
// checked on the first window's tokens and word timings in transcribe.test.ts instead.

import { afterAll, beforeAll, describe, it } from "vitest";
import { Whisper } from "./whisper.js";
import { MICRO_DIR, testDevices } from "./model/micro-fixture.js";
import { LONG_WAV, expectMatchesGolden, golden } from "./transcribe-fixture.js";

const hasCpu = (await testDevices()).includes("cpu");

describe.skipIf(!hasCpu)("transcribe() equals openai-whisper on cpu", () => {
  let w: Whisper;
  beforeAll(async () => {
    w = await Whisper.load(MICRO_DIR, { device: "cpu" });
  });
  afterAll(() => w?.dispose());

  for (const key of ["timestamps", "no_timestamps", "no_condition"]) {
    it(key, async () => {
      const { golden: g, options } = golden(key);
      expectMatchesGolden(await w.transcribe(LONG_WAV, options), g);
    }, 300_000);
  }
});
