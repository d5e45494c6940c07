// The hub downloader against a real HTTP server on 127.0.0.1 that serves the fixture files the
// way huggingface.co does (302 to a CDN path with X-Linked-Etag for LFS files, Range support).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadWhisperWeights } from "./load.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { defaultCacheDir, modelRepoId, resolveModel, type DownloadProgress } from "./hub.js";
import { downloadProgressBar } from "./progress.js";
import { Writable } from "node:stream";

const MICRO = fileURLToPath(new URL("../../../../../shared/fixtures/whisper-micro/", import.meta.url));
const CONFIG = readFileSync(`${MICRO}config.json`);
const MODEL = readFileSync(`${MICRO}model.safetensors`);
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
// A sharded copy of the model, as large checkpoints are published.
const SHARDS = (() => {
  const all = [...decodeSafetensors(new Uint8Array(MODEL))];
  const half = Math.ceil(all.length / 2);
  const files = [all.slice(0, half), all.slice(half)].map((part, i) => ({
    name: `model-0000${i + 1}-of-00002.safetensors`, bytes: Buffer.from(encodeSafetensors(new Map(part))), names: part.map(([n]) => n),
  }));
  const index = Buffer.from(JSON.stringify({ metadata: {}, weight_map: Object.fromEntries(files.flatMap((f) => f.names.map((n) => [n, f.name]))) }));
  return { files, index };
})();
const gitSha1 = (b: Uint8Array): string => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

/** What the server does to the next model.safetensors transfers. */
let mode: { dropAfter?: number; dropTimes?: number; corrupt?: boolean } = {};
const log: { path: string; range?: string }[] = [];
let server: http.Server;
let endpoint = "";
let closedPort = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = req.url ?? "";
    log.push({ path, range: req.headers.range });
    const repo = "/openai/whisper-tiny.en/resolve/main/";
    if (path === `${repo}config.json`) {
      res.writeHead(200, { "content-length": CONFIG.length, etag: `"${gitSha1(CONFIG)}"` });
      res.end(CONFIG);
    } else if (path === `${repo}model.safetensors`) {
      res.writeHead(302, { location: "/cdn/blob-model", "x-linked-etag": `"${sha256(MODEL)}"`, "x-linked-size": String(MODEL.length) });
      res.end();
    } else if (path.startsWith("/openai/whisper-small/resolve/main/")) {
      const file = path.split("/").pop()!;
      const body = file === "config.json" ? CONFIG : file === "model.safetensors.index.json" ? SHARDS.index : SHARDS.files.find((f) => f.name === file)?.bytes;
      if (!body) res.writeHead(404).end();
      else res.writeHead(200, { "content-length": body.length, etag: `"${gitSha1(body)}"` }).end(body);
    } else if (path === "/cdn/blob-model") {
      let body = MODEL;
      if (mode.corrupt) { body = Buffer.from(MODEL); body[body.length - 10]! ^= 0xff; }
      let start = 0;
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      if (m) start = Number(m[1]);
      const rest = body.subarray(start);
      res.writeHead(m ? 206 : 200, {
        "content-length": rest.length,
        ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (mode.dropAfter !== undefined && (mode.dropTimes ?? 0) > 0) {
        mode.dropTimes!--;
        // Send part of the body, then cut the connection as a flaky network would.
        res.write(rest.subarray(0, mode.dropAfter), () => res.socket?.end());
        return;
      }
      res.end(rest);
    } else {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free and is now closed: connections to it are refused.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

let cache = "";
const root = mkdtempSync(join(tmpdir(), "mw-hub-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  cache = mkdtempSync(join(root, "cache-"));
  mode = {};
  log.length = 0;
});
const opts = (extra = {}) => ({ cacheDir: cache, endpoint, hfCacheDir: false as const, ...extra });
const target = (): string => join(cache, "models", "openai--whisper-tiny.en");

describe("modelRepoId", () => {
  it("maps Whisper names to openai/whisper-* repos", () => {
    expect(modelRepoId("tiny.en")).toBe("openai/whisper-tiny.en");
    expect(modelRepoId("base")).toBe("openai/whisper-base");
    expect(modelRepoId("large-v3")).toBe("openai/whisper-large-v3");
    expect(modelRepoId("turbo")).toBe("openai/whisper-large-v3-turbo");
    expect(modelRepoId("whisper-small.en")).toBe("openai/whisper-small.en");
    expect(modelRepoId("openai/whisper-tiny.en")).toBe("openai/whisper-tiny.en");
    expect(modelRepoId("huge")).toBeUndefined();
  });
});

/** Run fn with some environment variables set (undefined = unset), restoring them after. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k]; else process.env[k] = x;
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(old);
  }
}

describe("cache and endpoint settings", () => {
  it("picks the cache folder from MAX_WHISPER_CACHE, then XDG_CACHE_HOME", async () => {
    await withEnv({ MAX_WHISPER_CACHE: "/x/mw", XDG_CACHE_HOME: "/x/xdg" }, () => expect(defaultCacheDir()).toBe("/x/mw"));
    await withEnv({ MAX_WHISPER_CACHE: undefined, XDG_CACHE_HOME: "/x/xdg" }, () => expect(defaultCacheDir()).toBe(join("/x/xdg", "max-whisper")));
  });

  it("downloads from HF_ENDPOINT into MAX_WHISPER_CACHE when no options are given", async () => {
    const dir = await withEnv({ HF_ENDPOINT: endpoint, MAX_WHISPER_CACHE: cache, HF_HUB_CACHE: join(root, "no-hub") }, () => resolveModel("tiny.en"));
    expect(dir).toBe(target());
    expect(readFileSync(join(dir, "model.safetensors")).equals(MODEL)).toBe(true);
  });
});

describe("resolveModel", () => {
  it("downloads into the cache with progress, verifies, and then reuses it", async () => {
    const seen: DownloadProgress[] = [];
    const dir = await resolveModel("tiny.en", opts({ onProgress: (p: DownloadProgress) => seen.push(p) }));
    expect(dir).toBe(target());
    expect(readFileSync(join(dir, "model.safetensors")).equals(MODEL)).toBe(true);
    expect(readFileSync(join(dir, "config.json")).equals(CONFIG)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]);
    expect(existsSync(`${dir}.partial`)).toBe(false);
    const last = seen.filter((p) => p.file === "model.safetensors").at(-1)!;
    expect(last).toMatchObject({ done: true, received: MODEL.length, total: MODEL.length });
    expect(loadWhisperWeights(dir).tensors.size).toBe(89);
    log.length = 0;
    expect(await resolveModel("openai/whisper-tiny.en", opts())).toBe(dir);
    expect(log).toEqual([]);
  });

  it("draws a progress bar from the progress callback", async () => {
    let text = "";
    const tty = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: true, columns: 200 });
    const bar = downloadProgressBar(tty);
    await resolveModel("tiny.en", opts({ onProgress: bar.onProgress }));
    bar.stop();
    expect(text).toContain("openai/whisper-tiny.en/model.safetensors");
    expect(text).toContain(`100% | ${(MODEL.length / 1e6).toFixed(1)}/${(MODEL.length / 1e6).toFixed(1)} MB`);
  });

  it("resumes an interrupted transfer with Range on the next call, and the sha256 matches", async () => {
    mode = { dropAfter: 4_000_000, dropTimes: 1 };
    await expect(resolveModel("tiny.en", opts({ retries: 0 }))).rejects.toThrow(/model\.safetensors: download interrupted.*run again to resume/);
    expect(existsSync(target())).toBe(false);
    const part = join(`${target()}.partial`, "model.safetensors.part");
    const kept = readFileSync(part).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(4_000_000);
    expect(readFileSync(part).equals(MODEL.subarray(0, kept))).toBe(true);
    log.length = 0;
    const dir = await resolveModel("tiny.en", opts({ retries: 0 }));
    expect(log.find((l) => l.path === "/cdn/blob-model")?.range).toBe(`bytes=${kept}-`);
    expect(sha256(readFileSync(join(dir, "model.safetensors")))).toBe(sha256(MODEL));
    expect(existsSync(`${target()}.partial`)).toBe(false);
  });

  it("retries a dropped connection within one call by default", async () => {
    mode = { dropAfter: 1_000_000, dropTimes: 2 };
    const dir = await resolveModel("tiny.en", opts());
    expect(readFileSync(join(dir, "model.safetensors")).equals(MODEL)).toBe(true);
    const ranges = log.filter((l) => l.path === "/cdn/blob-model").map((l) => l.range);
    expect(ranges.length).toBe(3);
    expect(ranges[0]).toBeUndefined();
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r!)![1]));
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[1]).toBeGreaterThan(starts[0]!);
  });

  it("rejects a corrupt transfer and leaves nothing in the cache", async () => {
    mode = { corrupt: true };
    await expect(resolveModel("tiny.en", opts())).rejects.toThrow(/model\.safetensors: sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}; the download was corrupt/);
    expect(existsSync(target())).toBe(false);
    expect(existsSync(`${target()}.partial`)).toBe(false);
  });

  it("says to pass a local folder when offline", async () => {
    const offline = opts({ endpoint: `http://127.0.0.1:${closedPort}` });
    await expect(resolveModel("tiny.en", offline)).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+ to download openai\/whisper-tiny\.en \(ECONNREFUSED\): pass a local folder holding config\.json and model\.safetensors/);
    expect(readdirSync(join(cache, "models"))).toEqual([]);
    await expect(resolveModel("tiny.en", opts({ offline: true }))).rejects.toThrow(/not in the cache and offline mode is on: pass a local folder/);
  });

  it("downloads a sharded checkpoint through its index", async () => {
    const dir = await resolveModel("small", opts());
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"]);
    const w = loadWhisperWeights(dir);
    expect(w.files.length).toBe(2);
    expect(w.tensors.size).toBe(89);
    log.length = 0;
    expect(await resolveModel("small", opts())).toBe(dir);
    expect(log).toEqual([]);
  });

  it("reports a repo without the files", async () => {
    await expect(resolveModel("base", opts())).rejects.toThrow(/openai\/whisper-base has no config\.json at http:\/\/127\.0\.0\.1:\d+\/openai\/whisper-base\/resolve\/main\/config\.json/);
    expect(readdirSync(join(cache, "models"))).toEqual([]);
  });

  it("uses a local folder as is and rejects names that are neither", async () => {
    expect(await resolveModel(MICRO, opts())).toBe(MICRO.replace(/[/\\]$/, ""));
    await expect(resolveModel("./no/such/folder", opts())).rejects.toThrow(/is not a folder and not a Whisper model name/);
    await expect(resolveModel(`${MICRO}config.json`, opts())).rejects.toThrow(/is a file; expected a model folder/);
  });

  it("reuses a Hugging Face hub cache snapshot without the network", async () => {
    const hub = join(root, "hf-hub");
    const repoDir = join(hub, "models--openai--whisper-tiny.en");
    const snap = join(repoDir, "snapshots", "0123abcd");
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(repoDir, "refs"), { recursive: true });
    writeFileSync(join(repoDir, "refs", "main"), "0123abcd\n");
    copyFileSync(`${MICRO}config.json`, join(snap, "config.json"));
    copyFileSync(`${MICRO}model.safetensors`, join(snap, "model.safetensors"));
    const dir = await resolveModel("tiny.en", { cacheDir: cache, hfCacheDir: hub, endpoint: `http://127.0.0.1:${closedPort}` });
    expect(dir).toBe(snap);
    const prev = process.env.HF_HOME;
    process.env.HF_HOME = join(root);
    try {
      rmSync(join(root, "hub"), { recursive: true, force: true });
      // HF_HOME/hub is the default hub cache: put the same snapshot there.
      mkdirSync(join(root, "hub"), { recursive: true });
      copyDir(repoDir, join(root, "hub", "models--openai--whisper-tiny.en"));
      expect(await resolveModel("tiny.en", { cacheDir: cache, endpoint: `http://127.0.0.1:${closedPort}` })).toBe(join(root, "hub", "models--openai--whisper-tiny.en", "snapshots", "0123abcd"));
    } finally {
      if (prev === undefined) delete process.env.HF_HOME;
      else process.env.HF_HOME = prev;
    }
  });
});

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyDir(join(from, e.name), join(to, e.name));
    else copyFileSync(join(from, e.name), join(to, e.name));
  }
}
