// The on-disk compile cache for cubins and harness libraries: one folder under the user cache
// ($MAX_WHISPER_CACHE, else $XDG_CACHE_HOME/max-whisper, else ~/.cache/max-whisper), entries
// written by atomic rename and checked against a stored sha256, so a corrupt entry is rebuilt.

import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheRoot(): string {
  if (process.env.MAX_WHISPER_CACHE) return process.env.MAX_WHISPER_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "max-whisper");
}

export function cudaCacheDir(sub: string): string {
  const dir = join(cacheRoot(), "cuda", sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  // Length-prefix each part so ("ab","c") and ("a","bc") hash differently.
  for (const p of parts) h.update(`${typeof p === "string" ? Buffer.byteLength(p) : p.byteLength}:`).update(p);
  return h.digest("hex");
}

/** Write a file so readers see either nothing or the whole content. */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * A cached artefact `file` with a sidecar `file.sha256`; returns the path when both exist and
 * agree, else removes what is there and returns undefined.
 */
export function verifiedEntry(file: string): string | undefined {
  const sum = `${file}.sha256`;
  if (!existsSync(file) || !existsSync(sum)) return undefined;
  try {
    if (sha256(readFileSync(file)) === readFileSync(sum, "utf8").trim()) return file;
  } catch {
    // unreadable: treated as corrupt below
  }
  rmSync(file, { force: true });
  rmSync(sum, { force: true });
  return undefined;
}

/** Publish a built artefact (already written at `built`) as `file`, with its checksum. */
export function publishEntry(built: string, file: string): void {
  const bytes = readFileSync(built);
  // Checksum first: a reader that finds the file always finds its checksum too.
  writeAtomic(`${file}.sha256`, sha256(bytes));
  writeAtomic(file, bytes);
}
