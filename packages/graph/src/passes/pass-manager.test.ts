// PassManager and optimize(): verification after each pass, IR dumps and timings only when
// asked, and a broken pass caught with the pass's name.

import { afterEach, describe, expect, it, vi } from "vitest";
import { Graph, Tensor, TensorType, VerifyError, compile, ops, type Value } from "../index.js";
import { PassManager } from "./pass-manager.js";
import { optimize } from "./pipeline.js";
import { rebuild } from "./rebuild.js";

function sample(): Graph {
  const g = new Graph("pm", [new TensorType("f32", ["batch", 3])]);
  const [x] = g.inputs as [Value];
  g.output(ops.softmax(ops.mul(ops.add(x, 0), ops.add(g.constant(Tensor.scalar("f32", 1)), 1))));
  return g;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("PassManager", () => {
  it("dumps the IR after each pass and a timing table into the given sink", () => {
    const chunks: string[] = [];
    const stats: { pass: string; nodesBefore: number; nodesAfter: number }[] = [];
    const out = optimize(sample(), { dump: (t) => chunks.push(t), onStats: (s) => stats.push(...s) });
    const text = chunks.join("\n");
    for (const p of ["canonicalize", "const-fold", "cse", "dce"]) expect(text).toContain(`// ----- IR after ${p} (`);
    expect(text).toContain("// pass timings");
    expect(text).toContain(out.toString());
    expect(stats.map((s) => s.pass)).toEqual(["canonicalize", "const-fold", "canonicalize", "cse", "dce"]);
    expect(stats[0]!.nodesBefore).toBe(sample().nodes.length);
    expect(stats.at(-1)!.nodesAfter).toBe(out.nodes.length);
  });

  it("writes nothing to stderr or stdout unless asked, and to stderr under DEBUG=2", () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const log = vi.spyOn(console, "log");
    vi.stubEnv("DEBUG", "");
    optimize(sample());
    expect(err).not.toHaveBeenCalled();
    vi.stubEnv("DEBUG", "2");
    optimize(sample());
    expect(log).not.toHaveBeenCalled();
    expect(err.mock.calls.map((c) => String(c[0])).join("")).toContain("IR after dce");
  });

  it("names the pass that broke the graph", () => {
    // A deliberately wrong pass: stores a type that the op's inference disagrees with.
    const breakTypes = (g: Graph) =>
      rebuild(g, (n, b) => (n.op === "softmax" ? b.out.addRaw(n.op, n.inputs, n.attrs, new TensorType("f32", [7])) : undefined));
    const pm = new PassManager([{ name: "break-types", run: breakTypes }], { verify: true });
    expect(() => pm.run(sample())).toThrow(VerifyError);
    expect(() => pm.run(sample())).toThrow(/\[verify after break-types\] \[softmax\] stored type differs from inference: expected f32\[batch, 3\], got f32\[7\] \(node %\d+\)/);
    // Without verification the broken graph goes through unnoticed.
    expect(() => new PassManager([{ name: "break-types", run: breakTypes }], { verify: false }).run(sample())).not.toThrow();
  });

  it("optimize leaves the caller's graph unchanged and compile runs the optimised graph", async () => {
    const g = sample();
    const before = g.toString();
    const exe = await compile(g, { device: "reference" });
    expect(g.toString()).toBe(before);
    expect(exe.graph.nodes.length).toBeLessThan(g.nodes.length);
    const [y] = await exe.execute(Tensor.fromArray("f32", [2, 3], [1, 2, 3, 0, 0, 0]));
    const e = [Math.exp(-4), Math.exp(-2), 1];
    const s = e[0]! + e[1]! + e[2]!;
    expect(Array.from(y!.toFloat32Array())).toEqual([...e.map((v) => Math.fround(v / s)), ...[1, 1, 1].map(() => Math.fround(1 / 3))]);
  });
});
