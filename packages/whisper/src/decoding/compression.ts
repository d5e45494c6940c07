// The compression ratio openai-whisper uses to flag repetitive text: UTF-8 bytes over the length
// of zlib.compress at its default level. pako 2.1 is a port of reference zlib and gives Python's
// byte counts; node:zlib (Chromium's zlib fork) emits different, shorter streams, so it is not used.

import pako from "pako";

export function compressionRatio(text: string): number {
  const bytes = new TextEncoder().encode(text);
  return bytes.length / pako.deflate(bytes, { level: 6 }).length;
}

// Python's str.strip() with no argument: Unicode whitespace (str.isspace), wider than String#trim
// on U+001C..U+001F and narrower on U+FEFF.
const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP_RE = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g");

export function pyStrip(s: string): string {
  return s.replace(PY_STRIP_RE, "");
}
