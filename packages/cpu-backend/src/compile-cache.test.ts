// The compile cache: miss then hit, a second process hitting the same entry, a corrupt entry
// rebuilt, and clear errors for a missing compiler or bad source.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Graph, TensorType, Tensor, ops, optimize } from "@max-whisper/graph";
import { compileCpu, lowerToCpp } from "./index.js";
import { CompileError, cacheKey, cacheRoot, compileCached } from "./compile-cache.js";

const dir = mkdtempSync(join(tmpdir(), "mw-cache-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smallGraph(k: number): Graph {
  const g = new Graph(`cache${k}`, [new TensorType("f32", ["n"])]);
  g.output(ops.mul(ops.exp(g.inputs[0]!), k));
  return g;
}

async function run(k: number): Promise<{ hit: boolean; values: number[]; path: string }> {
  const exe = await compileCpu(optimize(smallGraph(k)), new Map(), { cxx: { cacheDir: dir } });
  const [y] = await exe.execute(Tensor.fromArray("f32", [3], [0, 1, 2]));
  return { hit: exe.library.hit, values: y!.toArray(), path: exe.library.path };
}

describe("compile cache", () => {
  it("misses, then hits, and results stay right", async () => {
    const a = await run(3);
    expect(a.hit).toBe(false);
    const b = await run(3);
    expect(b.hit).toBe(true);
    expect(b.path).toBe(a.path);
    expect(b.values.map((v) => +v.toFixed(4))).toEqual([3, +(3 * Math.E).toFixed(4), +(3 * Math.E ** 2).toFixed(4)]);
    expect(readdirSync(join(dir, "cpu")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("shares one build between concurrent compiles of the same source", async () => {
    // A compiler wrapper that logs each invocation.
    const log = join(dir, "cxx.log");
    const cxx = join(dir, "cxx.sh");
    writeFileSync(cxx, `#!/bin/sh\necho "$@" >> "${log}"\nexec c++ "$@"\n`, { mode: 0o755 });
    const { source } = lowerToCpp(optimize(smallGraph(9)));
    const [a, b] = await Promise.all([compileCached(source, { cacheDir: dir, cxx }), compileCached(source, { cacheDir: dir, cxx })]);
    expect(a.path).toBe(b.path);
    const builds = readFileSync(log, "utf8").split("\n").filter((l) => l.includes("-shared"));
    expect(builds.length).toBe(1);
  });

  it("a second process hits the entry the first one wrote", async () => {
    const first = await run(5);
    expect(first.hit).toBe(false);
    const script = join(dir, "child.mts");
    const index = new URL("./index.ts", import.meta.url).href;
    const graph = new URL("../../graph/src/index.ts", import.meta.url).href;
    writeFileSync(script, `
      import { compileCpu } from ${JSON.stringify(index)};
      import { Graph, TensorType, ops, optimize } from ${JSON.stringify(graph)};
      const g = new Graph("cache5", [new TensorType("f32", ["n"])]);
      g.output(ops.mul(ops.exp(g.inputs[0]), 5));
      const exe = await compileCpu(optimize(g), new Map(), { cxx: { cacheDir: ${JSON.stringify(dir)} } });
      process.stdout.write(JSON.stringify({ hit: exe.library.hit, path: exe.library.path }));
    `);
    const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
    const { stdout } = await promisify(execFile)(tsx, [script]);
    expect(JSON.parse(stdout)).toEqual({ hit: true, path: first.path });
  });

  it("rebuilds a corrupt entry instead of trusting it", async () => {
    // Plant a truncated library where this graph's entry goes (never over a loaded one: that
    // library is mapped into this process).
    const { path } = await cacheKey(lowerToCpp(optimize(smallGraph(7))).source, { cacheDir: dir });
    mkdirSync(join(dir, "cpu"), { recursive: true });
    writeFileSync(path, "\x7fELF truncated");
    const b = await run(7);
    expect(b.hit).toBe(false);
    expect(b.values[0]).toBeCloseTo(7);
  });

  it("reports a compile error with the source path and the compiler's output", async () => {
    const err = await compileCached("int main( { this is not C++", { cacheDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    const ce = err as CompileError;
    expect(ce.message).toContain(ce.sourcePath);
    expect(ce.sourcePath.endsWith(".cpp")).toBe(true);
    expect(ce.output).toMatch(/error/);
  });

  it("reports a missing compiler clearly", async () => {
    const err = await compileCached("int x;", { cacheDir: dir, cxx: join(dir, "no-such-c++") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompileError);
    expect((err as Error).message).toMatch(/no C\+\+ compiler found/);
  });

  it("finds its folder from MAX_WHISPER_CACHE, then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(cacheRoot({ MAX_WHISPER_CACHE: "/x/mw" })).toBe("/x/mw");
    expect(cacheRoot({ XDG_CACHE_HOME: "/x/cache" })).toBe(join("/x/cache", "max-whisper"));
    expect(cacheRoot({})).toMatch(/\.cache[\\/]max-whisper$/);
  });
});
