// The reference interpreter: symbol binding at execute time, error reporting, values kept across
// runs, and a full-size pre-norm attention block (1500 x 384, 6 heads of 64) checked against a
// naive computation.

import { describe, expect, it, vi } from "vitest";
import { ExecutionError, Graph, Tensor, TensorType, compile, interpret, ops } from "../index.js";
import { getOp } from "../ops/registry.js";
import { Interpreter, bindInputs } from "./interp.js";
import { rng } from "../passes/random-graph.test-util.js";

function rand(r: () => number, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = r() * scale;
  return new Tensor("f32", shape, d);
}

describe("bindInputs", () => {
  it("binds plain symbols, solves symbols that only occur in expressions, and checks the rest", () => {
    const g = new Graph("b", [new TensorType("f32", ["seq", 2]), new TensorType("f32", ["past+seq", "2*seq"])]);
    expect(bindInputs(g, [Tensor.zeros("f32", [3, 2]), Tensor.zeros("f32", [7, 6])])).toEqual({ seq: 3, past: 4 });
    expect(() => bindInputs(g, [Tensor.zeros("f32", [3, 2]), Tensor.zeros("f32", [7, 5])])).toThrow(
      /\[execute\] input 1 of graph 'b': expected f32\[past\+seq, 2\*seq\], got f32\[7, 5\]/);
    expect(() => bindInputs(g, [Tensor.zeros("f32", [3, 2]), Tensor.zeros("f32", [2, 6])])).toThrow(/it would need past = -1/);
    expect(() => bindInputs(g, [Tensor.zeros("f32", [3, 3]), Tensor.zeros("f32", [7, 6])])).toThrow(ExecutionError);
    expect(() => bindInputs(g, [Tensor.zeros("f32", [3, 2])])).toThrow(/takes 2 inputs, got 1/);
  });

  it("runs a graph whose shapes follow the bound symbols (concat over a growing cache)", () => {
    const g = new Graph("kv", [new TensorType("f32", ["past", 2]), new TensorType("f32", ["seq", 2])]);
    const [cache, x] = g.inputs;
    const all = ops.concat([cache!, x!], 0);
    expect(String(all.type)).toBe("f32[past+seq, 2]");
    g.output(all, ops.slice(all, ["past"], ["past+seq"], [0]), ops.sum(all, 0));
    for (const past of [0, 1, 4]) {
      const c = Tensor.fromArray("f32", [past, 2], Array.from({ length: past * 2 }, (_, i) => i));
      const xs = Tensor.fromArray("f32", [2, 2], [10, 20, 30, 40]);
      const [a, s, t] = interpret(g, [c, xs]);
      expect(a!.shape).toEqual([past + 2, 2]);
      expect(s!.toArray()).toEqual([10, 20, 30, 40]);
      const even = Array.from({ length: past }, (_, i) => 2 * i).reduce((p, q) => p + q, 0);
      expect(t!.toArray()).toEqual([even + 40, even + past + 60]);
    }
  });

  it("reports reference failures with the node and the user's call site", () => {
    const g = new Graph("e", [new TensorType("f32", [3, 2]), new TensorType("i32", [2])]);
    g.output(ops.gather(g.inputs[0]!, g.inputs[1]!, 0));
    expect(() => interpret(g, [Tensor.zeros("f32", [3, 2]), Tensor.fromArray("i32", [2], [1, 3])])).toThrow(
      /\[gather\] failed in the interpreter at node %2 \(created at .*interp\.test\.ts:\d+:\d+\): \[gather\] index 3 \(at flat position 1 of indices \[2\]\) out of range for axis 0 of size 3/);
  });
});

describe("executeInto", () => {
  it("writes into the caller's tensors under the bound dims and checks them first", async () => {
    const g = new Graph("into", [new TensorType("f32", [2, "n"])]);
    const x = g.inputs[0]!;
    g.output(ops.exp(x), ops.reduce_sum(x, [1]));
    const exe = await compile(g, { device: "reference" });
    const r = rng(3);
    for (const n of [3, 5]) {
      const input = rand(r, [2, n]);
      const outs = [Tensor.zeros("f32", [2, n]), Tensor.zeros("f32", [2])];
      const got = await exe.executeInto(outs, input);
      expect(got[0]).toBe(outs[0]);
      expect(got[1]).toBe(outs[1]);
      const want = await exe.execute(input);
      expect(outs.map((t) => t.toArray())).toEqual(want.map((t) => t.toArray()));
    }
    const input = rand(r, [2, 4]);
    await expect(exe.executeInto([Tensor.zeros("f32", [2, 5]), Tensor.zeros("f32", [2])], input))
      .rejects.toThrow("output 0 of graph 'into': expected f32[2, 4], got f32[2, 5]");
    await expect(exe.executeInto([Tensor.zeros("f32", [2, 4]), Tensor.zeros("i32", [2])], input))
      .rejects.toThrow("output 1 of graph 'into': expected f32[2], got i32[2]");
    await expect(exe.executeInto([Tensor.zeros("f32", [2, 4])], input)).rejects.toThrow("has 2 outputs, got 1");
    await expect(exe.executeInto([input, Tensor.zeros("f32", [2])], input)).rejects.toThrow("output 0 of graph 'into' shares memory with input 0");
    const one = new Float32Array(10);
    const a = new Tensor("f32", [2, 4], one.subarray(0, 8)), b = new Tensor("f32", [2], one.subarray(7, 9));
    await expect(exe.executeInto([a, b], input)).rejects.toThrow("outputs 0 and 1 of graph 'into' share memory");
    // Adjacent views of one buffer are fine.
    await exe.executeInto([a, new Tensor("f32", [2], one.subarray(8, 10))], input);
    expect(Array.from(one.subarray(8))).toEqual((await exe.execute(input))[1]!.toArray());
  });
});

describe("Interpreter", () => {
  it("keeps what only the weights determine across runs, with the results of a fresh run", () => {
    const r = rng(7);
    const weights = new Map([["w", rand(r, [4, 3])], ["b", rand(r, [4])]]);
    const g = new Graph("kept", [new TensorType("f32", ["n", 3])]);
    const wt = ops.transpose(g.weight("w", new TensorType("f32", [4, 3])), 0, 1);
    const y = ops.add(ops.matmul(g.inputs[0]!, wt), g.weight("b", new TensorType("f32", [4])));
    // A static shape whose values follow n (slice bounds read the symbol), and a static output.
    g.output(y, ops.slice(wt, ["n-1"], ["n"], [0]), ops.sum(wt, 0));
    const xs = [1, 2, 3].map((n) => rand(r, [n, 3]));
    const fresh = xs.map((x) => interpret(g, [x], weights).map((t) => t.toArray()));

    const permute = vi.spyOn(getOp("permute"), "reference");
    const convert = vi.spyOn(Tensor.prototype, "toFloat64Array");
    try {
      const interp = new Interpreter(g, weights);
      const runs = xs.map((x) => interp.run([x]));
      // The transpose and the weights' float64 forms come from the first run only; x is read each run.
      expect(permute).toHaveBeenCalledTimes(1);
      expect(convert).toHaveBeenCalledTimes(2 + xs.length);
      runs.forEach((ts, i) => expect(ts.map((t) => t.toArray()), `run ${i}`).toEqual(fresh[i]));
    } finally {
      permute.mockRestore();
      convert.mockRestore();
    }
  });
});

describe("pre-norm attention block, 1500 x 384, 6 heads", () => {
  it("matches a naive float64 computation on sampled rows", () => {
    const T = 1500, D = 384, H = 6, HD = 64;
    const r = rng(42);
    const x = rand(r, [T, D]);
    const gamma = rand(r, [D], 0.5), beta = rand(r, [D], 0.1);
    const w = ["q", "k", "v", "o"].map(() => rand(r, [D, D], 1 / Math.sqrt(D)));
    const b = ["q", "k", "v", "o"].map(() => rand(r, [D], 0.05));

    const g = new Graph("block", [new TensorType("f32", [T, D])]);
    const [inp] = g.inputs;
    const h = ops.layer_norm(inp!, g.constant(gamma), g.constant(beta), 1e-5);
    const proj = (i: number, v: typeof h) => ops.add(ops.matmul(v, g.constant(w[i]!)), g.constant(b[i]!));
    const heads = (v: typeof h) => ops.permute(ops.reshape(v, [T, H, HD]), [1, 0, 2]);
    const att = ops.scaled_dot_product_attention(heads(proj(0, h)), heads(proj(1, h)), heads(proj(2, h)));
    const merged = ops.reshape(ops.permute(att, [1, 0, 2]), [T, D]);
    g.output(ops.add(inp!, proj(3, merged)));

    const [y] = interpret(g, [x]);
    expect(y!.shape).toEqual([T, D]);

    // Naive float64: LN for every row, K and V for every row, Q and the output for a few rows.
    const X = x.toFloat64Array(), G = gamma.toFloat64Array(), B = beta.toFloat64Array();
    const W = w.map((t) => t.toFloat64Array()), Bs = b.map((t) => t.toFloat64Array());
    const ln = new Float64Array(T * D);
    for (let t = 0; t < T; t++) {
      let m = 0, v = 0;
      for (let c = 0; c < D; c++) m += X[t * D + c]!;
      m /= D;
      for (let c = 0; c < D; c++) v += (X[t * D + c]! - m) ** 2;
      const s = 1 / Math.sqrt(v / D + 1e-5);
      for (let c = 0; c < D; c++) ln[t * D + c] = (X[t * D + c]! - m) * s * G[c]! + B[c]!;
    }
    const linearRow = (src: Float64Array, t: number, i: number) => {
      const o = Float64Array.from(Bs[i]!), w = W[i]!;
      for (let e = 0; e < D; e++) {
        const v = src[t * D + e]!;
        for (let c = 0; c < D; c++) o[c]! += v * w[e * D + c]!;
      }
      return o;
    };
    const K = Array.from({ length: T }, (_, t) => linearRow(ln, t, 1));
    const V = Array.from({ length: T }, (_, t) => linearRow(ln, t, 2));
    let worst = 0;
    for (const t of [0, 1, 777, 1499]) {
      const q = linearRow(ln, t, 0);
      const merged = new Float64Array(D);
      for (let hh = 0; hh < H; hh++) {
        const s = K.map((k) => {
          let dot = 0;
          for (let c = 0; c < HD; c++) dot += q[hh * HD + c]! * k[hh * HD + c]!;
          return dot / Math.sqrt(HD);
        });
        const m = Math.max(...s);
        const e = s.map((z) => Math.exp(z - m));
        const z = e.reduce((p, c) => p + c, 0);
        for (let c = 0; c < HD; c++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += e[j]! * V[j]![hh * HD + c]!;
          merged[hh * HD + c] = acc / z;
        }
      }
      const out = linearRow(merged, 0, 3);
      for (let c = 0; c < D; c++) {
        const want = X[t * D + c]! + out[c]!;
        worst = Math.max(worst, Math.abs(y!.get(t, c) - want) / (1e-3 + Math.abs(want)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
