// Every registered op on the cpu backend against the reference interpreter: a table of sample
// cases per op (awkward and symbolic sizes), batched into a few graphs so each compiles once.

import { describe, expect, it } from "vitest";
import { type DType, type Dim, Graph, type Tensor, TensorType, type Value, ops, opNames, getOp } from "@max-whisper/graph";
import "./index.js";
import { type Gen, checkAgainstReference, ints, randTensor, uniform } from "./test-util.js";

interface Case {
  op: string;
  inputs: [DType, Dim[], Gen?][];
  build: (x: Value[], g: Graph) => Value;
  /** Extra tolerance for f32 results (matmul sums, long rows). */
  atol?: number;
}

const POS = uniform(0.1, 3);
const un = (op: keyof typeof ops, gen?: Gen): Case => ({ op, inputs: [["f32", [3, "n"], gen]], build: ([x]) => (ops[op] as (v: Value) => Value)(x!) });
const bin = (op: keyof typeof ops, ga?: Gen, gb?: Gen): Case => ({
  op, inputs: [["f32", [3, "n"], ga], ["f32", ["n"], gb]], build: ([a, b]) => (ops[op] as (a: Value, b: Value) => Value)(a!, b!),
});

/** f32 cases; "n" is bound to 17 and then 63 on the same compiled graph. */
const F32_CASES: Case[] = [
  ...(["neg", "abs", "exp", "tanh", "erf", "sin", "cos", "sigmoid", "relu", "silu"] as const).map((o) => un(o)),
  un("log", POS), un("sqrt", POS), un("rsqrt", POS),
  // Wide ranges: overflow to inf, underflow through subnormals, saturation of erf/tanh.
  un("exp", uniform(-110, 95)), un("tanh", uniform(-12, 12)), un("erf", uniform(-6, 6)), un("sigmoid", uniform(-30, 30)),
  { op: "gelu", inputs: [["f32", [3, "n"], uniform(-8, 8)]], build: ([x]) => ops.gelu(x!) },
  { op: "gelu", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.gelu(x!) },
  { op: "gelu", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.gelu(x!, "tanh") },
  bin("add"), bin("sub"), bin("mul"), bin("maximum"), bin("minimum"),
  bin("div", undefined, uniform(0.5, 2)), bin("pow", POS),
  ...(["equal", "greater", "greater_equal", "less", "less_equal"] as const).map((o) => bin(o, ints(-2, 3), ints(-2, 3))),
  { op: "where", inputs: [["bool", [3, "n"]], ["f32", [3, "n"]], ["f32", [1]]], build: ([c, a, b]) => ops.where(c!, a!, b!) },
  { op: "cast", inputs: [["f32", [3, "n"], uniform(-5, 5)]], build: ([x]) => ops.cast(x!, "i32") },
  { op: "cast", inputs: [["f32", [3, "n"], ints(-1, 2)]], build: ([x]) => ops.cast(x!, "bool") },
  { op: "cast", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.cast(x!, "f16") },
  { op: "matmul", inputs: [["f32", [3, "n"]], ["f32", ["n", 17]]], build: ([a, b]) => ops.matmul(a!, b!), atol: 1e-4 },
  { op: "matmul", inputs: [["f32", [2, 3, 63]], ["f32", [63, 17]]], build: ([a, b]) => ops.matmul(a!, b!), atol: 1e-4 },
  { op: "matmul", inputs: [["f32", [63]], ["f32", [2, 63, 5]]], build: ([a, b]) => ops.matmul(a!, b!), atol: 1e-4 },
  { op: "matmul", inputs: [["f32", [4, 63]], ["f32", [63]]], build: ([a, b]) => ops.matmul(a!, b!), atol: 1e-4 },
  { op: "matmul", inputs: [["f32", [2, 1, 5, 7]], ["f32", [3, 7, 4]]], build: ([a, b]) => ops.matmul(a!, b!), atol: 1e-4 },
  { op: "softmax", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.softmax(x!) },
  { op: "softmax", inputs: [["f32", [5, 3, 17]]], build: ([x]) => ops.softmax(x!, 1) },
  { op: "log_softmax", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.log_softmax(x!) },
  { op: "reduce_sum", inputs: [["f32", [3, "n", 4]]], build: ([x]) => ops.reduce_sum(x!, [1], true), atol: 1e-4 },
  { op: "reduce_mean", inputs: [["f32", [3, "n", 4]]], build: ([x]) => ops.reduce_mean(x!, [0, 2]) },
  { op: "reduce_max", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.reduce_max(x!, [-1]) },
  { op: "argmax", inputs: [["f32", [2, "n"]]], build: ([x]) => ops.argmax(x!) },
  { op: "argmax", inputs: [["f32", [5, 7]]], build: ([x]) => ops.argmax(x!, 0, true) },
  { op: "layer_norm", inputs: [["f32", [3, "n"]], ["f32", ["n"]], ["f32", ["n"]]], build: ([x, g, b]) => ops.layer_norm(x!, g!, b!, 1e-5) },
  { op: "rms_norm", inputs: [["f32", [3, "n"]], ["f32", ["n"]]], build: ([x, g]) => ops.rms_norm(x!, g!, 1e-6) },
  { op: "permute", inputs: [["f32", [2, 3, "n"]]], build: ([x]) => ops.permute(x!, [2, 0, 1]) },
  { op: "permute", inputs: [["f32", [2, 3, "n"]]], build: ([x]) => ops.exp(ops.permute(x!, [1, 2, 0])) },
  { op: "reshape", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.reshape(x!, ["n", 3]) },
  { op: "reshape", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.reshape(ops.permute(x!, [1, 0]), [-1]) },
  { op: "slice", inputs: [["f32", [5, 17]]], build: ([x]) => ops.slice(x!, [1, 2], [4, null], [0, 1], [2, 3]) },
  { op: "slice", inputs: [["f32", [7, 3]]], build: ([x]) => ops.slice(x!, [null], [null], [0], [-1]) },
  { op: "slice", inputs: [["f32", [3, "n"]]], build: ([x]) => ops.slice(x!, [0, 1], [2, "n"]) },
  { op: "concat", inputs: [["f32", [2, "n"]], ["f32", [3, "n"]]], build: ([a, b]) => ops.concat([a!, b!], 0) },
  { op: "concat", inputs: [["f32", [2, 3]], ["f32", [2, "n"]]], build: ([a, b]) => ops.concat([ops.exp(a!), b!], 1) },
  { op: "pad", inputs: [["f32", [3, 5]]], build: ([x]) => ops.pad(x!, [[1, 2], [0, 3]], 1.5) },
  { op: "broadcast_to", inputs: [["f32", [1, "n"]]], build: ([x]) => ops.broadcast_to(x!, [4, "n"]) },
  { op: "gather", inputs: [["f32", [17, 8]], ["i32", [2, 3], ints(-17, 17)]], build: ([x, i]) => ops.gather(x!, i!, 0) },
  { op: "gather", inputs: [["f32", [3, 17, 4]], ["i64", [5], ints(0, 17)]], build: ([x, i]) => ops.gather(x!, i!, 1) },
  { op: "iota", inputs: [], build: (_x, g) => ops.iota([3, "n"], 1, "i32", g) },
  { op: "iota", inputs: [], build: (_x, g) => ops.iota([4, 5], 0, "f32", g) },
  { op: "conv1d", inputs: [["f32", [2, 8, 17]], ["f32", [6, 8, 3]], ["f32", [6]]], build: ([x, w, b]) => ops.conv1d(x!, w!, b!, { padding: 1 }), atol: 1e-4 },
  { op: "conv1d", inputs: [["f32", [1, 6, 17]], ["f32", [6, 6, 3]]], build: ([x, w]) => ops.gelu(ops.conv1d(x!, w!, undefined, { stride: 2, padding: 1 })), atol: 1e-4 },
  { op: "conv1d", inputs: [["f32", [1, 4, "n"]], ["f32", [5, 4, 1]]], build: ([x, w]) => ops.conv1d(x!, w!), atol: 1e-4 },
];

/** Build one graph holding every case (inputs concatenated, one output per case). */
function batchGraph(name: string, cases: readonly Case[]): { g: Graph; inputs: (n: number, seed: number) => Tensor[] } {
  const types = cases.flatMap((c) => c.inputs.map(([dt, shape]) => new TensorType(dt, shape)));
  const g = new Graph(name, types);
  let at = 0;
  const outs = g.build(() => cases.map((c) => {
    const xs = c.inputs.map(() => g.inputs[at++]!);
    return c.build(xs, g);
  }));
  g.output(...outs);
  const gens = cases.flatMap((c) => c.inputs.map(([dt, shape, gen]) => ({ dt, shape, gen })));
  return {
    g,
    inputs: (n, seed) => gens.map(({ dt, shape, gen }, i) =>
      randTensor(dt, shape.map((d) => (typeof d === "number" ? d : n)), seed * 1000 + i, gen)),
  };
}

describe("cpu backend: every op against the reference", () => {
  it("has a sample case for every registered op", () => {
    const covered = new Set(F32_CASES.map((c) => c.op));
    const missing = opNames().filter((o) => getOp(o).fusion !== "source" && !covered.has(o));
    expect(missing, `ops without a cpu test case: add them to F32_CASES`).toEqual([]);
  });

  it("f32 cases, symbolic n = 17 then 63 on one compiled graph", async () => {
    const { g, inputs } = batchGraph("ops_f32", F32_CASES);
    await checkAgainstReference(g, [inputs(17, 1), inputs(63, 2), inputs(1, 3)], {
      tol: (i, dt) => (dt === "f32" ? { atol: F32_CASES[i]!.atol ?? 2e-5, eps: 1e-4 } : dt === "f16" ? { atol: 1e-3, eps: 2 ** -10 } : { atol: 0, eps: 0 }),
    });
  });

  it("whisper-sized rows: 51864-wide softmax and argmax, 1500x384 layer norm, gelu", async () => {
    const g = new Graph("ops_big", [
      new TensorType("f32", [2, 51864]), new TensorType("f32", [1500, 384]), new TensorType("f32", [384]), new TensorType("f32", [384]),
    ]);
    const [logits, x, gam, bet] = g.inputs as [Value, Value, Value, Value];
    g.output(ops.softmax(logits), ops.argmax(logits), ops.log_softmax(logits), ops.layer_norm(x, gam, bet, 1e-5), ops.gelu(ops.add(x, bet)));
    const ins = [randTensor("f32", [2, 51864], 7, uniform(-8, 8)), randTensor("f32", [1500, 384], 8), randTensor("f32", [384], 9), randTensor("f32", [384], 10)];
    await checkAgainstReference(g, [ins], { tol: (_i, dt) => (dt === "f32" ? { atol: 1e-5, eps: 2e-4 } : { atol: 0, eps: 0 }) });
  });

  it("f16 and bf16 graphs compute in f32 and round once on store", async () => {
    const g = new Graph("ops_half", [
      new TensorType("f16", [3, "n"]), new TensorType("f16", ["n"]), new TensorType("bf16", [3, "n"]), new TensorType("f16", ["n", 17]),
    ]);
    const [a, b, c, w] = g.inputs as [Value, Value, Value, Value];
    g.output(
      ops.gelu(ops.mul(ops.add(a, b), b)), ops.exp(c), ops.softmax(c), ops.layer_norm(a, b, b, 1e-5),
      ops.matmul(a, w), ops.cast(a, "f32"), ops.cast(ops.cast(c, "f32"), "bf16"),
    );
    const ins = (n: number, s: number) => [randTensor("f16", [3, n], s), randTensor("f16", [n], s + 1), randTensor("bf16", [3, n], s + 2), randTensor("f16", [n, 17], s + 3)];
    await checkAgainstReference(g, [ins(17, 20), ins(63, 30)], {
      // Fused chains skip the reference's per-op rounding: allow a few half ulps.
      tol: (_i, dt) => (dt === "bf16" ? { atol: 2e-2, eps: 2 ** -6 } : dt === "f16" ? { atol: 2e-2, eps: 2 ** -8 } : { atol: 1e-5, eps: 1e-5 }),
    });
  });

  it("integer and bool graphs are exact", async () => {
    const g = new Graph("ops_int", [new TensorType("i32", [3, "n"]), new TensorType("i32", ["n"]), new TensorType("i64", [3, "n"]), new TensorType("f32", [5, 4])]);
    const [a, b, c, t] = g.inputs as [Value, Value, Value, Value];
    g.output(
      ops.add(a, b), ops.sub(a, b), ops.mul(a, b), ops.div(a, b), ops.maximum(a, b), ops.neg(a), ops.abs(a),
      ops.where(ops.greater(a, b), a, b), ops.reduce_sum(a, [1]), ops.reduce_max(c, [0], true), ops.argmax(a, 1),
      ops.cast(a, "f32"), ops.add(c, c), ops.gather(t, ops.reshape(ops.slice(c, [0], [1]), [-1]), 0),
    );
    const ins = (n: number, s: number) => [
      randTensor("i32", [3, n], s, ints(-50, 50)), randTensor("i32", [n], s + 1, ints(1, 9)),
      randTensor("i64", [3, n], s + 2, ints(0, 5)), randTensor("f32", [5, 4], s + 3),
    ];
    await checkAgainstReference(g, [ins(17, 40), ins(3, 50)]);
  });
});
