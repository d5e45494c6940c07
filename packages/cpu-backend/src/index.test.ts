// The cpu backend through the session API: registration and device "auto", outputs that alias
// inputs or each other, caller-provided outputs, empty tensors, arena reuse, input validation and
// unsupported ops.

import { describe, expect, it } from "vitest";
import { ExecutionError, Graph, Tensor, TensorType, UnsupportedOpError, compile, ops, resolveBackend, type Value } from "@max-whisper/graph";
import { type CpuExecutable, cpuBackend, generateCpp } from "./index.js";
import { loadNative } from "./native.js";
import { checkAgainstReference, expectClose, randTensor } from "./test-util.js";

const f32 = (...s: (number | string)[]) => new TensorType("f32", s);

describe("cpu backend", () => {
  it("registers itself, probes clean and is what device 'auto' picks", async () => {
    expect(await cpuBackend.probe()).toBeNull();
    const b = await resolveBackend("auto");
    expect(["cpu", "cuda"]).toContain(b.name);
    expect(b.priority).toBeGreaterThanOrEqual(cpuBackend.priority);
  });

  it("handles outputs that are inputs, views of inputs, or the same value twice", async () => {
    const g = new Graph("alias", [f32(2, "n")]);
    const x = g.inputs[0]!;
    const e = ops.exp(x);
    g.output(x, ops.permute(x, [1, 0]), e, e, ops.reshape(e, [-1]));
    const exe = (await checkAgainstReference(g, [[randTensor("f32", [2, 5], 1)], [randTensor("f32", [2, 1], 2)]])) as CpuExecutable;
    // Five distinct output tensors: no output shares storage with an input or another output.
    const x0 = randTensor("f32", [2, 3], 3);
    const outs = await exe.execute(x0);
    const stores = new Set(outs.map((t) => t.data.buffer));
    expect(stores.size).toBe(5);
    expect(stores.has(x0.data.buffer)).toBe(false);
  });

  it("emits a per-kernel profile into mw_run only when MW_PROFILE is set", async () => {
    const g = new Graph("prof", [f32(4, 8), f32(8, 3)]);
    const [a, b] = g.inputs as [Value, Value];
    g.output(ops.softmax(ops.matmul(ops.exp(a), b), 1));
    const exe = (await compile(g, { device: "cpu" })) as CpuExecutable;
    const names = exe.plan.kernels.map((k) => k.name);
    const saved = process.env.MW_PROFILE;
    try {
      delete process.env.MW_PROFILE;
      expect(generateCpp(exe.plan).source).not.toContain("mw_prof");
      process.env.MW_PROFILE = "5";
      const src = generateCpp(exe.plan).source;
      expect(src).toContain(`static double mw_prof[${names.length}]`);
      expect(src).toContain("% 5 == 0");
      for (const n of names) expect(src).toContain(`us  ${n}`);
    } finally {
      if (saved === undefined) delete process.env.MW_PROFILE;
      else process.env.MW_PROFILE = saved;
    }
  });

  it("keeps weight and constant GEMM operands packed from the first run on, and frees them on dispose", async () => {
    const g = new Graph("packed", [f32("m", 40)]);
    const x = g.inputs[0]!;
    const w = g.weight("w", f32(40, 50));
    const wt = g.weight("wt", new TensorType("f16", [50, 40])); // [out, in], read transposed
    const c = ops.constant(randTensor("f32", [40, 24], 9));
    g.output(
      ops.gelu(ops.matmul(x, w)),
      ops.matmul(x, ops.transpose(ops.cast(wt, "f32"), 0, 1)),
      ops.matmul(x, c),
      ops.matmul(ops.transpose(x, 0, 1), x), // B is an input: packed per call, no slot
      // Two batch items sharing the weight (A's rows interleave, so the batch cannot fold into M).
      ops.matmul(ops.permute(ops.reshape(x, [-1, 2, 20]), [1, 0, 2]), ops.slice(w, [0], [20], [0])),
    );
    const weights = new Map([["w", randTensor("f32", [40, 50], 10)], ["wt", randTensor("f16", [50, 40], 11)]]);
    const sizes = [2, 4, 64, 200, 64];
    const inputs = sizes.map((m, i) => [randTensor("f32", [m, 40], 20 + i)]);
    const native = loadNative();
    const before = native.packedBytes();
    const exe = (await checkAgainstReference(g, inputs, { weights })) as CpuExecutable;
    expect(exe.source.match(/g\.b_pack = S \? S \+ \d : 0;/g)).toEqual([0, 1, 2, 3].map((i) => `g.b_pack = S ? S + ${i} : 0;`));
    expect(exe.source).toContain("int32_t mw_state_slots(void) { return 4; }");
    // Skinny runs (m = 2, 4) stream B without packing; the larger ones packed the four weights once.
    const kept = native.packedBytes() - before;
    expect(kept).toBeGreaterThanOrEqual(4 * 40 * (50 + 50 + 24) + 4 * 20 * 50);
    expect(kept).toBeLessThan(4 * 40 * (64 + 64 + 32) + 4 * 20 * 64 + 4 * 4096);
    // Runs from the kept panels give the same bits as the first; under another ISA (whose
    // micro-kernel may want another panel width) the same values within the f32 tolerance.
    const [y1] = await exe.execute(inputs[2]![0]!);
    const [y2] = await exe.execute(inputs[2]![0]!);
    expect(y2!.data).toEqual(y1!.data);
    expect(native.packedBytes() - before).toBe(kept);
    const isa = native.cpuInfo().isa;
    try {
      native.setIsa("generic");
      const [y3] = await exe.execute(inputs[2]![0]!);
      expectClose(y3!, y1!);
    } finally {
      native.setIsa(isa);
    }
    exe.dispose();
    expect(native.packedBytes()).toBe(before);
  });

  it("runs empty tensors (a symbolic dim bound to 0)", async () => {
    const g = new Graph("empty", [f32(3, "n"), f32("n", 4)]);
    const [a, b] = g.inputs as [Value, Value];
    g.output(ops.gelu(ops.add(a, 1)), ops.matmul(a, b), ops.reduce_sum(a, [1]), ops.softmax(b, 0));
    await checkAgainstReference(g, [[randTensor("f32", [3, 0], 1), randTensor("f32", [0, 4], 2)], [randTensor("f32", [3, 2], 3), randTensor("f32", [2, 4], 4)]]);
  });

  it("propagates NaN and infinities like the reference", async () => {
    const g = new Graph("nan", [f32(4, 5)]);
    const x = g.inputs[0]!;
    g.output(ops.reduce_max(x, [1]), ops.argmax(x), ops.maximum(x, 0), ops.exp(x), ops.relu(x), ops.cast(x, "bool"));
    const v = [1, NaN, 3, 2, 0, Infinity, -1, 2, 0, 1, -Infinity, -Infinity, -5, -Infinity, -7, 4, 4, 1, NaN, 2];
    await checkAgainstReference(g, [[Tensor.fromArray("f32", [4, 5], v)]]);
  });

  it("runs rank-0 values: scalar inputs, full reductions, scalar outputs", async () => {
    const g = new Graph("scalars", [f32(), f32(3, 4)]);
    const [s, x] = g.inputs as [Value, Value];
    const total = ops.reduce_sum(x, [0, 1]);
    g.output(ops.exp(s), total, ops.mul(x, ops.add(total, s)), ops.argmax(ops.reshape(x, [12])));
    await checkAgainstReference(g, [[randTensor("f32", [], 1), randTensor("f32", [3, 4], 2)]], { tol: () => ({ atol: 1e-5, eps: 1e-5 }) });
  });

  it("reuses its arena across calls and sizes it from the dims", async () => {
    const g = new Graph("arena", [f32("n", 8)]);
    let h = g.inputs[0]!;
    for (let i = 0; i < 4; i++) h = ops.tanh(ops.matmul(h, g.weight(`w${i}`, f32(8, 8))));
    g.output(h);
    const weights = new Map(g.weights().map((w, i) => [w.name, randTensor("f32", [8, 8], i)]));
    const exe = (await compile(g, { device: "cpu", weights })) as CpuExecutable;
    await exe.execute(randTensor("f32", [100, 8], 1));
    // Two slots of 100·8 floats ping-pong through the chain.
    expect(exe.lastArenaBytes).toBe(2 * 100 * 8 * 4);
    await exe.execute(randTensor("f32", [10, 8], 2));
    expect(exe.lastArenaBytes).toBe(2 * Math.ceil((10 * 8 * 4) / 64) * 64);
    // A second executable of the same graph shares the cached library; disposing one keeps the other working.
    const again = await compile(g, { device: "cpu", weights });
    exe.dispose();
    await expect(exe.execute(randTensor("f32", [10, 8], 2))).rejects.toThrow(/disposed/);
    expect((await again.execute(randTensor("f32", [3, 8], 3)))[0]!.shape).toEqual([3, 8]);
  });

  it("writes into caller-provided outputs, run after run, with the results of execute", async () => {
    const g = new Graph("into", [f32("n", 16), f32(16, 16)]);
    const [x, w] = g.inputs as [Value, Value];
    g.output(ops.softmax(ops.matmul(x, w), 1), ops.gelu(x));
    const exe = await compile(g, { device: "cpu" });
    const wt = randTensor("f32", [16, 16], 9);
    const outs = [Tensor.zeros("f32", [7, 16]), Tensor.zeros("f32", [7, 16])];
    for (const seed of [1, 2]) {
      const xt = randTensor("f32", [7, 16], seed);
      const got = await exe.executeInto(outs, xt, wt);
      expect(got[0]).toBe(outs[0]);
      expect(got[1]).toBe(outs[1]);
      const want = await exe.execute(xt, wt);
      // The same kernels on the same inputs: bit-identical.
      expect(Array.from(outs[0]!.data as Float32Array)).toEqual(Array.from(want[0]!.data as Float32Array));
      expect(Array.from(outs[1]!.data as Float32Array)).toEqual(Array.from(want[1]!.data as Float32Array));
    }
    await expect(exe.executeInto([outs[0]!, Tensor.zeros("f32", [3, 16])], randTensor("f32", [7, 16], 3), wt))
      .rejects.toThrow("output 1 of graph 'into': expected f32[7, 16], got f32[3, 16]");
  });

  it("rejects inputs of the wrong shape or dtype naming the input", async () => {
    const g = new Graph("check", [f32(2, "n")]);
    g.output(ops.neg(g.inputs[0]!));
    const exe = await compile(g, { device: "cpu" });
    await expect(exe.execute(Tensor.zeros("f32", [3, 4]))).rejects.toThrow(ExecutionError);
    await expect(exe.execute(Tensor.zeros("i32", [2, 4]))).rejects.toThrow(/input 0 of graph 'check': expected f32\[2, n\], got i32\[2, 4\]/);
  });

  it("throws UnsupportedOpError for what it cannot lower", async () => {
    const g = new Graph("grouped", [f32(1, 4, 9), f32(4, 2, 3)]);
    g.output(ops.conv1d(g.inputs[0]!, g.inputs[1]!, undefined, { groups: 2 }));
    const err = await compile(g, { device: "cpu" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/\[conv1d\] not supported by backend 'cpu' for dtype f32: groups=2/);
  });
});
