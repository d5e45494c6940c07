// transcribe() against openai-whisper's own transcribe() on long.wav (41 s, micro model), in full on
// every test device: three of the five golden configurations (the others are in
// transcribe-b.test.ts, so the two files run in parallel).
// NOTE: on the reference device a configuration takes ~10-20 s (a decoder step ~15 ms, an encoder
// window ~1.5 s); keep the two files' reference shares balanced when moving configurations.

import { afterAll, beforeAll, describe, it } from "vitest";
import { Whisper } from "./whisper.js";
import { MICRO_DIR, testDevices } from "./model/micro-fixture.js";
import { LONG_WAV, expectMatchesGolden, golden } from "./transcribe-fixture.js";

describe.each(await testDevices())("transcribe() equals openai-whisper on %s", (device) => {
  let w: Whisper;
  beforeAll(async () => {
    w = await Whisper.load(MICRO_DIR, { device });
  });
  afterAll(() => w?.dispose());

  for (const key of ["timestamps", "no_timestamps", "no_condition"]) {
    it(key, async () => {
      const { golden: g, options } = golden(key);
      expectMatchesGolden(await w.transcribe(LONG_WAV, options), g);
    }, 300_000);
  }
});
