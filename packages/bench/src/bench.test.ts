import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Tensor } from "@max-whisper/graph";
import { quantile, summarize, timeInterleaved, timeIt } from "./stats.js";
import { compareTensors } from "./gate.js";
import { toMarkdown, writeReport, type Report } from "./report.js";
import { barChart } from "./svg.js";
import { machineInfo, machineTag } from "./machine.js";

describe("stats", () => {
  it("computes median and percentiles by linear interpolation", () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1);
    expect(summarize([1, 2, 3, 4]).median).toBe(2.5);
  });
  it("times at least minRuns runs after warm-up", async () => {
    let calls = 0;
    const s = await timeIt(() => { calls++; }, { warmup: 3, minRuns: 7, minTimeMs: 0 });
    expect(s.n).toBe(7);
    expect(calls).toBe(10);
  });
  it("interleaves systems in blocks, each reaching its own run count", async () => {
    const log: string[] = [];
    const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };
    // "a" takes 1 ms (blocks of up to 2 runs at blockMs 2), "b" 4 ms (blocks of 1).
    const [a, b] = await timeInterleaved([() => { log.push("a"); busy(1); }, () => { log.push("b"); busy(4); }], { warmup: 1, minRuns: 4, minTimeMs: 0, blockMs: 2 });
    expect([a!.n, b!.n]).toEqual([4, 4]);
    const timed = log.slice(2).join("");
    expect(timed.startsWith("a")).toBe(true);
    expect(timed.indexOf("b")).toBeLessThan(timed.lastIndexOf("a")); // not all of a, then all of b
    expect(b!.median).toBeGreaterThan(a!.median);
  });
});

describe("correctness gate", () => {
  const want = Tensor.fromArray("f32", [4], [1, 2, 3, 4]);
  it("accepts values within tolerance", () => {
    expect(compareTensors(Tensor.fromArray("f32", [4], [1, 2, 3, 4.00001]), want).ok).toBe(true);
  });
  it("rejects a wrong kernel and names the first mismatch", () => {
    const r = compareTensors(Tensor.fromArray("f32", [4], [1, 2, 3.5, 4]), want);
    expect(r.ok).toBe(false);
    expect(r.mismatches[0]).toContain("[2]");
    expect(r.maxAbsErr).toBeCloseTo(0.5);
  });
  it("rejects NaN and a wrong shape", () => {
    expect(compareTensors(Tensor.fromArray("f32", [4], [1, NaN, 3, 4]), want).ok).toBe(false);
    expect(compareTensors(Tensor.fromArray("f32", [2, 2], [1, 2, 3, 4]), want).ok).toBe(false);
  });
});

describe("reports", () => {
  const report: Report = {
    suite: "ops", title: "Op microbenchmarks", machine: { ...machineInfo(), date: "2026-01-02" },
    limits: { "FMA GFLOP/s": 200 },
    results: [
      { case: "matmul 8x8", system: "cpu", status: "ok", ms: summarize([2, 2, 2]), flops: 2e6, ofLimit: 0.5 },
      { case: "matmul 8x8", system: "torch", status: "skipped", reason: "torch not importable" },
      { case: "softmax", system: "cpu", status: "wrong", reason: "[3]: 1 vs 2" },
    ],
  };
  it("renders a markdown table with throughput and statuses", () => {
    const md = toMarkdown(report);
    expect(md).toContain("| matmul 8x8 | cpu | 2.00 |");
    expect(md).toContain("| 1.00 |"); // 2e6 flop / 2 ms = 1 GFLOP/s
    expect(md).toContain("50%");
    expect(md).toContain("skipped: torch not importable");
    expect(md).toContain("wrong: [3]: 1 vs 2");
  });
  it("writes json, md and svg named by date and machine", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mw-bench-"));
    const base = writeReport(report, dir);
    expect(path.basename(base)).toBe(`ops-2026-01-02-${machineTag(report.machine)}`);
    expect(JSON.parse(readFileSync(`${base}.json`, "utf8")).results).toHaveLength(3);
    expect(readFileSync(`${base}.svg`, "utf8")).toContain("<svg");
    expect(readFileSync(path.join(dir, "ops-latest.md"), "utf8")).toContain("Op microbenchmarks");
  });
  it("scales bars to the largest value", () => {
    const svg = barChart("t", "ms", [{ group: "a", label: "x", value: 1 }, { group: "a", label: "y", value: 2 }]);
    expect(svg).toContain('width="460.0"');
    expect(svg).toContain('width="230.0"');
  });
});
