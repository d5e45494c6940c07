// resolveModel: a model folder, or a Whisper model name fetched from the Hugging Face hub into
// a user cache (resume with HTTP Range, sha256 / git-sha1 integrity checks, atomic publish),
// reusing an existing Hugging Face cache when it already holds the files.

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface DownloadProgress {
  repo: string;
  file: string;
  received: number;
  /** Total bytes, when the server said. */
  total?: number;
  done: boolean;
}

export interface ResolveModelOptions {
  /** Where downloads go. Default: $MAX_WHISPER_CACHE, else $XDG_CACHE_HOME/max-whisper, else ~/.cache/max-whisper. */
  cacheDir?: string;
  /** Never touch the network: use a folder or a cache, else fail. */
  offline?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Hub base URL. Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  revision?: string;
  /** Extra attempts per file after a dropped connection, resuming where it stopped. Default 2. */
  retries?: number;
  /** Bearer token for private or gated repos. Default: $HF_TOKEN. Sent only to the endpoint's host. */
  token?: string;
  /** Seconds without data before a transfer counts as interrupted. Default 60. */
  idleTimeoutS?: number;
  /** Hugging Face hub cache to reuse; false to skip. Default: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub. */
  hfCacheDir?: string | false;
}

export class DownloadError extends Error {
  constructor(message: string, readonly kind: "offline" | "interrupted" | "integrity" | "http" | "not-found") {
    super(message);
    this.name = "DownloadError";
  }
}

const OPTIONAL = ["generation_config.json", "tokenizer.json"];
const NAMES = ["tiny", "base", "small", "medium"];

/**
 * The hub repo for a model name: "tiny.en", "base", "large-v3", "turbo", "whisper-small" or
 * "openai/whisper-tiny.en" (any owner/name is taken as given). Undefined for other strings.
 */
export function modelRepoId(name: string): string | undefined {
  if (/^[\w.-]+\/[\w.-]+$/.test(name)) return name;
  const n = name.replace(/^whisper-/, "");
  if (NAMES.includes(n) || NAMES.some((s) => n === `${s}.en`)) return `openai/whisper-${n}`;
  if (n === "large" || n === "large-v1") return "openai/whisper-large";
  if (n === "large-v2" || n === "large-v3" || n === "large-v3-turbo") return `openai/whisper-${n}`;
  if (n === "turbo") return "openai/whisper-large-v3-turbo";
  return undefined;
}

export function defaultCacheDir(): string {
  const env = process.env;
  if (env.MAX_WHISPER_CACHE) return env.MAX_WHISPER_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "max-whisper");
  return join(homedir(), ".cache", "max-whisper");
}

function hfHubCache(): string {
  const env = process.env;
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, "hub");
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface", "hub");
}

const INDEX = "model.safetensors.index.json";

/** Shard file names listed by a model.safetensors.index.json. */
function shardNames(indexPath: string): string[] {
  const map = (JSON.parse(readFileSync(indexPath, "utf8")) as { weight_map?: Record<string, string> }).weight_map;
  if (!map || typeof map !== "object") throw new Error(`[resolveModel] ${indexPath}: no weight_map`);
  const names = [...new Set(Object.values(map))];
  for (const n of names)
    if (!/^[\w.-]+\.safetensors$/.test(n)) throw new Error(`[resolveModel] ${indexPath}: bad shard file name '${n}'`);
  return names;
}

/** config.json plus the weights: model.safetensors, or an index with all of its shards. */
function complete(dir: string): boolean {
  if (!existsSync(join(dir, "config.json"))) return false;
  if (existsSync(join(dir, "model.safetensors"))) return true;
  const index = join(dir, INDEX);
  try {
    return existsSync(index) && shardNames(index).every((f) => existsSync(join(dir, f)));
  } catch {
    return false;
  }
}

/** A snapshot folder of the Hugging Face cache holding the required files, if any. */
export function findInHfCache(repo: string, hubCache: string, revision = "main"): string | undefined {
  const root = join(hubCache, `models--${repo.replace("/", "--")}`);
  const snaps = join(root, "snapshots");
  if (!existsSync(snaps)) return undefined;
  const ref = join(root, "refs", revision);
  if (existsSync(ref)) {
    const dir = join(snaps, readFileSync(ref, "utf8").trim());
    if (complete(dir)) return dir;
  }
  const dirs = readdirSync(snaps).map((d) => join(snaps, d)).filter(complete);
  dirs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0];
}

/**
 * Resolve a model to a local folder holding config.json and model.safetensors: an existing
 * folder is returned as is; a model name is looked up in the Hugging Face cache, then in our
 * cache, then downloaded. Throws DownloadError with a clear message when offline.
 */
export async function resolveModel(nameOrDir: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (existsSync(nameOrDir)) {
    if (!statSync(nameOrDir).isDirectory())
      throw new Error(`[resolveModel] ${nameOrDir}: is a file; expected a model folder holding config.json and model.safetensors, or a model name`);
    return resolve(nameOrDir);
  }
  const repo = modelRepoId(nameOrDir);
  if (!repo || /^[./~]/.test(nameOrDir))
    throw new Error(
      `[resolveModel] '${nameOrDir}' is not a folder and not a Whisper model name: expected a folder with config.json and model.safetensors, ` +
      `or one of tiny, tiny.en, base, base.en, small, small.en, medium, medium.en, large-v2, large-v3, turbo, or owner/repo`,
    );
  const revision = opts.revision ?? "main";
  const hubCache = opts.hfCacheDir === false ? undefined : (opts.hfCacheDir ?? hfHubCache());
  const fromHf = hubCache ? findInHfCache(repo, hubCache, revision) : undefined;
  if (fromHf) return fromHf;

  const target = join(opts.cacheDir ?? defaultCacheDir(), "models", repo.replace("/", "--") + (revision === "main" ? "" : `@${revision}`));
  if (complete(target)) return target;
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
  if (opts.offline)
    throw new DownloadError(`[resolveModel] ${repo} is not in the cache and offline mode is on: ${offlineHint(repo)}`, "offline");

  const staging = `${target}.partial`;
  mkdirSync(staging, { recursive: true });
  const ctx: FetchContext = {
    repo, endpoint, token: opts.token ?? process.env.HF_TOKEN, onProgress: opts.onProgress,
    retries: opts.retries ?? 2, idleMs: (opts.idleTimeoutS ?? 60) * 1000,
  };
  try {
    const urlOf = (file: string): string => `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
    const fetchFile = async (file: string): Promise<boolean> =>
      existsSync(join(staging, file)) || downloadFile(urlOf(file), join(staging, file), file, ctx);
    const missing = (file: string): DownloadError =>
      new DownloadError(`[resolveModel] ${repo} has no ${file} at ${urlOf(file)}: is it a Whisper model in safetensors format?`, "not-found");
    for (const file of OPTIONAL) await fetchFile(file);
    if (!(await fetchFile("config.json"))) throw missing("config.json");
    // Large checkpoints may be sharded: model.safetensors.index.json lists the shard files.
    if (!(await fetchFile("model.safetensors"))) {
      if (!(await fetchFile(INDEX))) throw missing("model.safetensors");
      for (const shard of shardNames(join(staging, INDEX)))
        if (!(await fetchFile(shard))) throw missing(shard);
    }
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return target;
  } catch (e) {
    // A dropped connection (or going offline mid-way) keeps what arrived so the next call
    // resumes; a corrupt or refused download leaves nothing behind.
    const resumable = e instanceof DownloadError && (e.kind === "interrupted" || e.kind === "offline");
    if (!resumable || readdirSync(staging).every((f) => statSync(join(staging, f)).size === 0))
      rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

function offlineHint(repo: string): string {
  const short = repo.split("/").pop()!;
  return `pass a local folder holding config.json and model.safetensors instead (for example --model ./${short}), or connect to the internet and try again`;
}

interface FetchContext {
  repo: string;
  endpoint: string;
  token?: string;
  onProgress?: (p: DownloadProgress) => void;
  retries: number;
  idleMs: number;
}

const OFFLINE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNABORTED", "ETIMEDOUT", "EADDRNOTAVAIL"]);

interface Response {
  res: http.IncomingMessage;
  /** sha256 (64 hex) or git blob sha1 (40 hex) the hub announced, if any. */
  expectedHash?: string;
  linkedSize?: number;
}

function cleanEtag(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s || s.startsWith("W/")) return undefined;
  const t = s.replace(/"/g, "").trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(t) || /^[0-9a-f]{40}$/.test(t) ? t : undefined;
}

/** GET with manual redirects, so the hub's own ETag / X-Linked-Etag is seen before the CDN. */
function get(url: string, headers: Record<string, string>, ctx: FetchContext, file: string): Promise<Response> {
  const endpointHost = new URL(ctx.endpoint).host;
  let expectedHash: string | undefined;
  let linkedSize: number | undefined;
  const hop = (u: URL, left: number): Promise<Response> =>
    new Promise((resolveP, reject) => {
      const h: Record<string, string> = { "user-agent": "max-whisper", ...headers };
      if (ctx.token && u.host === endpointHost) h.authorization = `Bearer ${ctx.token}`;
      const lib = u.protocol === "https:" ? https : http;
      const req = lib.get(u, { headers: h }, (res) => {
        const first = u.host === endpointHost;
        const linked = cleanEtag(res.headers["x-linked-etag"]);
        if (linked) expectedHash = linked;
        else if (first && !expectedHash && (res.statusCode === 200 || res.statusCode === 206)) expectedHash = cleanEtag(res.headers.etag);
        const ls = Number(res.headers["x-linked-size"]);
        if (Number.isFinite(ls) && ls > 0) linkedSize = ls;
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (left === 0) { reject(new DownloadError(`[resolveModel] ${ctx.repo}/${file}: too many redirects`, "http")); return; }
          resolveP(hop(new URL(res.headers.location, u), left - 1));
          return;
        }
        resolveP({ res, expectedHash, linkedSize });
      });
      req.setTimeout(ctx.idleMs, () => req.destroy(Object.assign(new Error(`no data for ${ctx.idleMs / 1000} s`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
    });
  return hop(new URL(url), 10);
}

async function hashFile(path: string, algo: "sha256" | "sha1", prefix?: string): Promise<string> {
  const h = createHash(algo);
  if (prefix) h.update(prefix);
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

/**
 * Download one file to `dest` through `dest.part`, resuming a partial file with Range. Returns
 * false when the file does not exist (HTTP 404). Verifies the size and the announced hash, then
 * renames into place.
 */
async function downloadFile(url: string, dest: string, file: string, ctx: FetchContext): Promise<boolean> {
  const part = `${dest}.part`;
  for (let attempt = 0; ; attempt++) {
    let start = existsSync(part) ? statSync(part).size : 0;
    let response: Response;
    try {
      response = await get(url, start > 0 ? { range: `bytes=${start}-` } : {}, ctx, file);
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (OFFLINE_CODES.has(code))
        throw new DownloadError(`[resolveModel] cannot reach ${ctx.endpoint} to download ${ctx.repo} (${code}): ${offlineHint(ctx.repo)}`, "offline");
      if (attempt < ctx.retries) continue;
      throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: download interrupted (${(e as Error).message}); run again to resume`, "interrupted");
    }
    const { res } = response;
    const status = res.statusCode ?? 0;
    if (status === 404) { res.resume(); return false; }
    if (status === 416 && start > 0) {
      // The partial file is as long as (or longer than) the file: start over.
      res.resume();
      rmSync(part, { force: true });
      if (attempt < ctx.retries + 1) continue;
    }
    if (status === 401 || status === 403) {
      res.resume();
      throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: access denied (HTTP ${status}); for a gated or private model set HF_TOKEN`, "http");
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: HTTP ${status} from ${url}`, "http");
    }
    let total: number | undefined;
    if (status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers["content-range"] ?? ""));
      if (!m || Number(m[1]) !== start) {
        res.resume();
        rmSync(part, { force: true });
        if (attempt < ctx.retries + 1) continue;
        throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: server answered a resume with a bad Content-Range`, "http");
      }
      if (m[3] !== "*") total = Number(m[3]);
    } else {
      start = 0;
      const len = Number(res.headers["content-length"]);
      if (Number.isFinite(len) && res.headers["content-length"] !== undefined) total = len;
    }
    total ??= response.linkedSize;
    let received = start;
    let last = 0;
    const report = (done: boolean): void => ctx.onProgress?.({ repo: ctx.repo, file, received, total, done });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        const now = Date.now();
        if (now - last > 100) { last = now; report(false); }
        cb(null, chunk);
      },
    });
    res.setTimeout(ctx.idleMs, () => res.destroy(new Error(`no data for ${ctx.idleMs / 1000} s`)));
    const out = createWriteStream(part, { flags: start > 0 ? "a" : "w" });
    const closed = new Promise<void>((r) => out.once("close", () => r()));
    try {
      await pipeline(res, counter, out);
      if (total !== undefined && received < total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    } catch (e) {
      // The next attempt resumes from the file's size, so its pending writes must land first.
      out.destroy();
      await closed;
      if (attempt < ctx.retries) continue;
      throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: download interrupted (${(e as Error).message}); run again to resume`, "interrupted");
    }
    const size = statSync(part).size;
    if (total !== undefined && size !== total) {
      rmSync(part, { force: true });
      throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: size mismatch: expected ${total} bytes, got ${size}`, "integrity");
    }
    const want = response.expectedHash;
    if (want) {
      // 64 hex digits: an LFS file's sha256; 40: the git blob sha1 of a small file.
      const got = want.length === 64 ? await hashFile(part, "sha256") : await hashFile(part, "sha1", `blob ${size}\0`);
      if (got !== want) {
        rmSync(part, { force: true });
        throw new DownloadError(`[resolveModel] ${ctx.repo}/${file}: ${want.length === 64 ? "sha256" : "git sha1"} mismatch: expected ${want}, got ${got}; the download was corrupt and was deleted`, "integrity");
      }
    }
    renameSync(part, dest);
    report(true);
    return true;
  }
}
