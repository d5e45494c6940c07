// JSON round trip and the structural hash: a round trip prints and hashes identically and
// computes the same results; the hash ignores names and identity but sees every real change.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Graph, GraphError, Tensor, TensorType, VerifyError, interpret, ops, type Value } from "../index.js";
import type { OpName } from "../ops/registry.js";
import { decodeAttr, encodeAttr } from "./serialize.js";
import { rebuild } from "../passes/rebuild.js";
import { buildRandomGraph, recipeArb } from "../passes/random-graph.test-util.js";

const f32 = (...shape: (number | string)[]) => new TensorType("f32", shape);

/** A graph touching every dtype of constant, symbolic dims, weights and several outputs. */
function build(name = "rt", opts: { axis?: number; c0?: number; width?: number } = {}): Graph {
  const w = opts.width ?? 3;
  const g = new Graph(name, [f32("batch", w), new TensorType("i32", [w])]);
  const [x, idx] = g.inputs as [Value, Value];
  const wt = g.weight("layer.0.w", f32(w, w));
  const c = g.constant(Tensor.fromArray("f32", [w], Array.from({ length: w }, (_, i) => (i === 0 ? opts.c0 ?? 0.5 : -i))));
  const h = g.constant(Tensor.fromArray("f16", [w], Array.from({ length: w }, (_, i) => i / 3)));
  const big = g.constant(Tensor.fromArray("i64", [2], [2 ** 40, -3]));
  const flag = g.constant(Tensor.fromArray("bool", [w], Array.from({ length: w }, (_, i) => i % 2)));
  const y = ops.softmax(ops.add(ops.matmul(x, wt), c), opts.axis ?? -1);
  const z = ops.where(flag, ops.cast(y, "f16"), h);
  g.output(ops.gelu(y, "tanh"), z, ops.add(idx, ops.cast(g.constant(Tensor.scalar("f32", 2)), "i32")));
  void big;
  return g;
}

describe("JSON round trip", () => {
  it("gives an identical printout, hash and results", () => {
    const g = build();
    const text = JSON.stringify(g);
    const back = Graph.fromJSON(text);
    expect(back.toString()).toBe(g.toString());
    expect(back.hash()).toBe(g.hash());
    expect(back.name).toBe("rt");
    expect(back.inputs.map((v) => v.id)).toEqual(g.inputs.map((v) => v.id));
    expect(back.weights()).toEqual(g.weights());
    expect(back.constants.get(5)!.data).toEqual(g.constants.get(5)!.data); // the i64 constant, exact
    const xs = [Tensor.fromArray("f32", [2, 3], [1, -2, 3, 0.5, 0, -1]), Tensor.fromArray("i32", [3], [4, 5, -6])];
    const ws = new Map([["layer.0.w", Tensor.fromArray("f32", [3, 3], [1, 0, 2, 0, 1, 0, -1, 0, 1])]]);
    const a = interpret(g, xs, ws), b = interpret(back, xs, ws);
    expect(b.map((t) => t.toArray())).toEqual(a.map((t) => t.toArray()));
    // Round trips are stable: the JSON of the copy is the JSON of the original.
    expect(JSON.stringify(back)).toBe(text);
  });

  it("encodes TensorTypes, non-finite numbers, -0 and bigints in attributes", () => {
    const attrs = { t: f32("seq", 2), inf: -Infinity, nan: NaN, negz: -0, big: 12345678901234567890n, nested: { l: [1, "a", null] } };
    const enc = JSON.parse(JSON.stringify(encodeAttr(attrs, "attrs")));
    const dec = decodeAttr(enc, "attrs") as typeof attrs;
    expect(dec.t).toBeInstanceOf(TensorType);
    expect(dec.t.equals(attrs.t)).toBe(true);
    expect(dec.inf).toBe(-Infinity);
    expect(dec.nan).toBeNaN();
    expect(Object.is(dec.negz, -0)).toBe(true);
    expect(dec.big).toBe(12345678901234567890n);
    expect(dec.nested).toEqual({ l: [1, "a", null] });
    expect(() => encodeAttr({ f: () => 1 }, "%3")).toThrow(/\[serialize\] attribute %3\.f cannot be encoded: expected plain data or a TensorType, got function/);
  });

  it("rejects corrupt JSON with errors that name the problem", () => {
    const j = build().toJSON();
    expect(() => Graph.fromJSON({ ...j, format: "onnx" } as never)).toThrow(/\[fromJSON\] not a graph: expected format 'max-whisper-graph', got "onnx"/);
    const badOp = structuredClone(j);
    badOp.nodes[4]!.op = "frobnicate";
    expect(() => Graph.fromJSON(badOp)).toThrow(GraphError);
    expect(() => Graph.fromJSON(badOp)).toThrow(/unknown op: expected a registered op, got 'frobnicate' \(node %4\)/);
    const badType = structuredClone(j);
    badType.nodes[7]!.type.shape = [9];
    expect(() => Graph.fromJSON(badType)).toThrow(VerifyError);
    const badData = structuredClone(j);
    badData.constants["3"]!.data = Buffer.from([1, 2, 3]).toString("base64");
    expect(() => Graph.fromJSON(badData)).toThrow(/needs 12 bytes, got 3/);
  });
});

describe("round trip and hash on random graphs", () => {
  it("fromJSON(toJSON(g)) and an identity rebuild print, hash and compute like g", () => {
    fc.assert(
      fc.property(recipeArb, (recipe) => {
        const { graph, inputs, weights } = buildRandomGraph(recipe);
        const back = Graph.fromJSON(JSON.stringify(graph));
        const copy = rebuild(graph);
        for (const g of [back, copy]) {
          expect(g.toString()).toBe(graph.toString());
          expect(g.hash()).toBe(graph.hash());
        }
        const want = interpret(graph, inputs, weights).map((t) => t.toArray());
        expect(interpret(back, inputs, weights).map((t) => t.toArray())).toEqual(want);
      }),
      { numRuns: 60, seed: 11 },
    );
  });
});

describe("hash", () => {
  it("is equal for graphs built the same way, whatever their names", () => {
    expect(build("a").hash()).toBe(build("b").hash());
    expect(build().hash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any attribute, constant byte, shape or output", () => {
    const h = build().hash();
    const variants = [
      build("rt", { axis: 0 }),
      build("rt", { c0: 0.5000001 }),
      build("rt", { width: 4 }),
    ];
    const outs = build();
    outs.setOutputIds([...outs.outputNodeIds].reverse());
    variants.push(outs);
    const flipped = build();
    const data = flipped.constants.get(4)!.data as Uint16Array; // the f16 constant: flip one bit
    data[1] = data[1]! ^ 1;
    variants.push(flipped);
    const hashes = variants.map((g) => g.hash());
    for (const v of hashes) expect(v).not.toBe(h);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("ignores attribute key order and call sites", () => {
    const mk = (keys: "ab" | "ba", site?: string) => {
      const g = new Graph("k", [f32(2, 4)]);
      const [x] = g.inputs as [Value];
      const t = g.add("reduce_sum" as OpName, [x], { axes: [1], keepdims: true });
      const n = t.node;
      const attrs = keys === "ab" ? { axes: [1], keepdims: true } : { keepdims: true, axes: [1] };
      g.output(g.value(g.addRaw(n.op, n.inputs, attrs, n.type, site)));
      return g;
    };
    expect(mk("ab", "a.ts:1:1").hash()).toBe(mk("ba", "b.ts:9:9").hash());
  });
});
