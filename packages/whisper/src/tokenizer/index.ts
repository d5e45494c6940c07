// Public API of the tokenizer: Whisper's Tokenizer, getTokenizer over the shipped vocabularies,
// the language table, and the byte-level BPE core.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer, type Task } from "./tokenizer.js";
import { normalizeLanguage } from "./languages.js";

export { Tokenizer, whisperSpecialTokens, parseTiktokenRanks, type Task, type TokenizerOptions } from "./tokenizer.js";
export { BpeEncoder, bytePairEncode, compileSplitRegex, EncodeError, WHISPER_PAT_STR, type BpeModel, type EncodeOptions, type SpecialSet } from "./bpe.js";
export { LANGUAGES, LANGUAGE_CODES, TO_LANGUAGE_CODE, languageName, normalizeLanguage } from "./languages.js";

/** Path of a vocabulary shipped with the package ("gpt2" or "multilingual"). */
export function tiktokenAssetPath(name: "gpt2" | "multilingual"): string {
  return fileURLToPath(new URL(`../../assets/${name}.tiktoken`, import.meta.url));
}

const cache = new Map<string, Tokenizer>();

/**
 * whisper's get_tokenizer: the multilingual vocabulary (language default "en", task default
 * "transcribe") or the English-only gpt2 one (no language or task), from the shipped files.
 */
export function getTokenizer(opts: { multilingual: boolean; numLanguages?: number; language?: string; task?: Task }): Tokenizer {
  const numLanguages = opts.numLanguages ?? 99;
  const key = `${opts.multilingual ? "multilingual" : "gpt2"}:${numLanguages}`;
  let base = cache.get(key);
  if (!base) {
    base = Tokenizer.fromTiktoken(tiktokenAssetPath(opts.multilingual ? "multilingual" : "gpt2"), {
      multilingual: opts.multilingual, numLanguages,
    });
    cache.set(key, base);
  }
  if (!opts.multilingual) return base;
  const language = opts.language !== undefined ? normalizeLanguage(opts.language) : "en";
  return base.withOptions({ language, task: opts.task ?? "transcribe" });
}

/** Vocabulary sizes of the published Whisper checkpoints: gpt2 (English-only), multilingual, large-v3. */
const STANDARD_VOCAB = new Set([51864, 51865, 51866]);

/**
 * The tokenizer for a model: the shipped tiktoken vocabulary when the model's vocabulary is a
 * standard Whisper one (so results match openai-whisper exactly), else the folder's
 * tokenizer.json. Throws when neither applies or the vocabulary is larger than the model's.
 */
export function tokenizerForModel(
  dir: string | undefined,
  model: { nVocab: number; multilingual: boolean; numLanguages: number },
  opts: { language?: string; task?: Task } = {},
): Tokenizer {
  if (STANDARD_VOCAB.has(model.nVocab))
    return getTokenizer({ multilingual: model.multilingual, numLanguages: model.numLanguages, ...opts });
  const path = dir !== undefined ? join(dir, "tokenizer.json") : undefined;
  if (!path || !existsSync(path))
    throw new Error(`[tokenizer] the model has ${model.nVocab} tokens, which is not a standard Whisper vocabulary, and ${dir ?? "its folder"} has no tokenizer.json`);
  let tok = Tokenizer.fromHuggingFace(path);
  if (tok.nVocab > model.nVocab)
    throw new Error(`[tokenizer] ${path}: vocabulary has ${tok.nVocab} ids, more than the model's ${model.nVocab}`);
  if (opts.language !== undefined || opts.task !== undefined) tok = tok.withOptions(opts);
  return tok;
}
