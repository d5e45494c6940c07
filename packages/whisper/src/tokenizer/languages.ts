// Whisper's language table (whisper/tokenizer.py LANGUAGES), in the order that numbers the
// language tokens: the first 99 for most models, all 100 (adding Cantonese) for large-v3.

export const LANGUAGES: ReadonlyArray<readonly [code: string, name: string]> = [
  ["en", "english"], ["zh", "chinese"], ["de", "german"], ["es", "spanish"], ["ru", "russian"],
  ["ko", "korean"], ["fr", "french"], ["ja", "japanese"], ["pt", "portuguese"], ["tr", "turkish"],
  ["pl", "polish"], ["ca", "catalan"], ["nl", "dutch"], ["ar", "arabic"], ["sv", "swedish"],
  ["it", "italian"], ["id", "indonesian"], ["hi", "hindi"], ["fi", "finnish"], ["vi", "vietnamese"],
  ["he", "hebrew"], ["uk", "ukrainian"], ["el", "greek"], ["ms", "malay"], ["cs", "czech"],
  ["ro", "romanian"], ["da", "danish"], ["hu", "hungarian"], ["ta", "tamil"], ["no", "norwegian"],
  ["th", "thai"], ["ur", "urdu"], ["hr", "croatian"], ["bg", "bulgarian"], ["lt", "lithuanian"],
  ["la", "latin"], ["mi", "maori"], ["ml", "malayalam"], ["cy", "welsh"], ["sk", "slovak"],
  ["te", "telugu"], ["fa", "persian"], ["lv", "latvian"], ["bn", "bengali"], ["sr", "serbian"],
  ["az", "azerbaijani"], ["sl", "slovenian"], ["kn", "kannada"], ["et", "estonian"], ["mk", "macedonian"],
  ["br", "breton"], ["eu", "basque"], ["is", "icelandic"], ["hy", "armenian"], ["ne", "nepali"],
  ["mn", "mongolian"], ["bs", "bosnian"], ["kk", "kazakh"], ["sq", "albanian"], ["sw", "swahili"],
  ["gl", "galician"], ["mr", "marathi"], ["pa", "punjabi"], ["si", "sinhala"], ["km", "khmer"],
  ["sn", "shona"], ["yo", "yoruba"], ["so", "somali"], ["af", "afrikaans"], ["oc", "occitan"],
  ["ka", "georgian"], ["be", "belarusian"], ["tg", "tajik"], ["sd", "sindhi"], ["gu", "gujarati"],
  ["am", "amharic"], ["yi", "yiddish"], ["lo", "lao"], ["uz", "uzbek"], ["fo", "faroese"],
  ["ht", "haitian creole"], ["ps", "pashto"], ["tk", "turkmen"], ["nn", "nynorsk"], ["mt", "maltese"],
  ["sa", "sanskrit"], ["lb", "luxembourgish"], ["my", "myanmar"], ["bo", "tibetan"], ["tl", "tagalog"],
  ["mg", "malagasy"], ["as", "assamese"], ["tt", "tatar"], ["haw", "hawaiian"], ["ln", "lingala"],
  ["ha", "hausa"], ["ba", "bashkir"], ["jw", "javanese"], ["su", "sundanese"], ["yue", "cantonese"],
];

export const LANGUAGE_CODES: readonly string[] = LANGUAGES.map(([c]) => c);
const NAME_BY_CODE = new Map(LANGUAGES);

/** Language name -> code, including whisper's aliases (TO_LANGUAGE_CODE). */
export const TO_LANGUAGE_CODE: ReadonlyMap<string, string> = new Map([
  ...LANGUAGES.map(([c, n]) => [n, c] as [string, string]),
  ["burmese", "my"], ["valencian", "ca"], ["flemish", "nl"], ["haitian", "ht"], ["letzeburgesch", "lb"],
  ["pushto", "ps"], ["panjabi", "pa"], ["moldavian", "ro"], ["moldovan", "ro"], ["sinhalese", "si"],
  ["castilian", "es"], ["mandarin", "zh"],
]);

export function languageName(code: string): string | undefined {
  return NAME_BY_CODE.get(code);
}

/**
 * Normalise a language given as a code or an English name ("English", "en", "mandarin") to its
 * code, as whisper's get_tokenizer does. Throws for an unknown language.
 */
export function normalizeLanguage(language: string): string {
  const l = language.toLowerCase();
  if (NAME_BY_CODE.has(l)) return l;
  const code = TO_LANGUAGE_CODE.get(l);
  if (code) return code;
  throw new RangeError(`[tokenizer] unsupported language: expected a code or name from whisper's list (e.g. "en", "german"), got "${language}"`);
}
