// Test support for the transcribe() parity tests: the openai-whisper goldens in
// ../shared/fixtures/whisper-micro/transcribe, their options in this API's names, and the check.

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { MICRO_DIR } from "./model/micro-fixture.js";
import type { TranscribeOptions, TranscribeResult } from "./transcribe.js";

export const LONG_WAV = MICRO_DIR + "transcribe/long.wav";

interface GoldenWord { word: string; start: number; end: number; probability: number }
interface GoldenSegment {
  id: number; seek: number; start: number; end: number; text: string; tokens: number[]; temperature: number;
  avg_logprob: number; compression_ratio: number; no_speech_prob: number; words?: GoldenWord[];
}
export interface Golden { options: Record<string, unknown>; text: string; language: string; segments: GoldenSegment[] }

const fixture = JSON.parse(readFileSync(MICRO_DIR + "transcribe/transcribe.json", "utf8")) as {
  common_options: Record<string, unknown>; results: Record<string, Golden>;
};
export const CONFIGS = Object.keys(fixture.results);

/** The golden of one configuration and the options that produced it, in TranscribeOptions names. */
export function golden(key: string): { golden: Golden; options: TranscribeOptions } {
  const g = fixture.results[key];
  if (!g) throw new Error(`no configuration "${key}" in transcribe.json (have ${CONFIGS.join(", ")})`);
  const c = fixture.common_options;
  const options: TranscribeOptions = {
    temperature: c.temperature as number, language: c.language as string, task: c.task as "transcribe",
    compressionRatioThreshold: c.compression_ratio_threshold as number, logprobThreshold: c.logprob_threshold as number,
    noSpeechThreshold: c.no_speech_threshold as number, conditionOnPreviousText: c.condition_on_previous_text as boolean,
  };
  const o = g.options;
  if ("without_timestamps" in o) options.withoutTimestamps = o.without_timestamps as boolean;
  if ("initial_prompt" in o) options.initialPrompt = o.initial_prompt as string;
  if ("condition_on_previous_text" in o) options.conditionOnPreviousText = o.condition_on_previous_text as boolean;
  if ("word_timestamps" in o) options.wordTimestamps = o.word_timestamps as boolean;
  const known = ["without_timestamps", "initial_prompt", "condition_on_previous_text", "word_timestamps"];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`transcribe.json option "${k}" has no mapping`);
  return { golden: g, options };
}

/** Exact ids, times, text, tokens and temperatures; the three floats and word probabilities to 1e-3. */
export function expectMatchesGolden(r: TranscribeResult, g: Golden): void {
  expect(r.language).toBe(g.language);
  expect(r.segments.map((s) => [s.id, s.seek, s.start, s.end])).toEqual(g.segments.map((s) => [s.id, s.seek, s.start, s.end]));
  r.segments.forEach((s, i) => {
    const e = g.segments[i]!;
    const at = `segment ${i}`;
    expect(s.tokens, at).toEqual(e.tokens);
    expect(s.text, at).toBe(e.text);
    expect(s.temperature, at).toBe(e.temperature);
    expect(Math.abs(s.avgLogprob - e.avg_logprob), `${at} avgLogprob ${s.avgLogprob} vs ${e.avg_logprob}`).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(s.compressionRatio - e.compression_ratio), `${at} compressionRatio`).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(s.noSpeechProb - e.no_speech_prob), `${at} noSpeechProb`).toBeLessThanOrEqual(1e-3);
    if (e.words) {
      expect(s.words?.map((w) => [w.word, w.start, w.end]), `${at} words`).toEqual(e.words.map((w) => [w.word, w.start, w.end]));
      s.words!.forEach((w, j) => expect(Math.abs(w.probability - e.words![j]!.probability), `${at} word ${j} probability`).toBeLessThanOrEqual(1e-3));
    } else {
      expect(s.words === undefined || s.words.length === 0, `${at} has no words`).toBe(true);
    }
  });
  expect(r.text).toBe(g.text);
}
