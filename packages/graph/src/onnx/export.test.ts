// ONNX export checked end to end: every registry op's sample graphs are exported, run in
// onnxruntime-node and compared with the reference interpreter; plus the exporter's own
// contracts (dim_params, weights as initializers or inputs, dimValue, errors).

import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { Graph, Tensor, TensorType, compile, exportONNX, ops, opNames, type DType, type Value, ONNX_OPSET } from "../index.js";
import { OnnxModelBuilder } from "./export.js";
import { seededRandom as rng } from "../random.js";

const { onnx } = onnxProto;

// ---- helpers -------------------------------------------------------------------------------

const rand = rng(1234);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function uniform(shape: number[], lo = -2, hi = 2, dtype: DType = "f32"): Tensor {
  return Tensor.fromArray(dtype, shape, Array.from({ length: size(shape) }, () => lo + (hi - lo) * rand()));
}
function ints(shape: number[], lo: number, hi: number, dtype: DType = "i32"): Tensor {
  return Tensor.fromArray(dtype, shape, Array.from({ length: size(shape) }, () => lo + Math.floor((hi - lo + 1) * rand())));
}
function bools(shape: number[]): Tensor {
  return Tensor.fromArray("bool", shape, Array.from({ length: size(shape) }, () => +(rand() < 0.5)));
}

const ORT_TYPE: Record<DType, string | undefined> = { f32: "float32", f16: "float16", bf16: undefined, i32: "int32", i64: "int64", bool: "bool" };

function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (!type) throw new Error(`no onnxruntime-node tensor type for ${t.dtype}`);
  return new ort.Tensor(type as "float32", t.data as Float32Array, [...t.shape]);
}
function fromOrt(o: ort.Tensor, dtype: DType): Tensor {
  // The exported model must produce the graph's dtype itself, not something we convert from.
  expect(o.type, `onnxruntime output type for ${dtype}`).toBe(ORT_TYPE[dtype]);
  const data = o.data as ArrayLike<number> | BigInt64Array;
  if (dtype === "f16") return new Tensor("f16", o.dims, Uint16Array.from(data as ArrayLike<number>));
  return Tensor.fromArray(dtype, o.dims, data as ArrayLike<number>);
}

async function runOrt(bytes: Uint8Array, inputs: readonly Tensor[], dtypes: readonly DType[], extra: Record<string, Tensor> = {}): Promise<Tensor[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((t, i) => (feeds[`input_${i}`] = toOrt(t)));
  for (const [k, t] of Object.entries(extra)) feeds[k] = toOrt(t);
  const out = await session.run(feeds);
  const res = dtypes.map((dt, i) => fromOrt(out[`output_${i}`]!, dt));
  await session.release();
  return res;
}

/** |got - want| <= atol + rtol·|want| everywhere; integers and bools exactly. Reports the first misses. */
function expectClose(got: Tensor, want: Tensor, tol: { atol: number; rtol: number }, what: string): void {
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  expect([...got.shape], `${what}: shape`).toEqual([...want.shape]);
  const g = got.toFloat64Array(), w = want.toFloat64Array();
  const exact = !["f32", "f16", "bf16"].includes(want.dtype);
  const bad: string[] = [];
  for (let i = 0; i < w.length; i++) {
    const a = g[i]!, b = w[i]!;
    const ok = Number.isNaN(b) ? Number.isNaN(a) : exact || !Number.isFinite(b) ? a === b : Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
    if (!ok && bad.push(`[${i}] onnx ${a} vs reference ${b}`) >= 5) break;
  }
  expect(bad, `${what}: mismatches`).toEqual([]);
}

// ---- the per-op sample table ---------------------------------------------------------------

interface Case {
  /** Concrete inputs; the graph's input types are theirs unless `types` overrides (symbolic dims). */
  inputs: Tensor[];
  types?: TensorType[];
  build(xs: Value[], g: Graph): Value | Value[];
  weights?: Record<string, Tensor>;
  tol?: { atol: number; rtol: number };
}

const TOL = { atol: 1e-5, rtol: 1e-4 };
/** onnxruntime computes f16 ops in f16 (composites round at every step); the reference rounds once. */
const F16_TOL = { atol: 4e-3, rtol: 4e-3 };
const h = (shape: number[], lo = -2, hi = 2) => uniform(shape, lo, hi, "f16");

const unaryCase = (f: (x: Value) => Value, lo = -3, hi = 3): Case[] => [
  { inputs: [uniform([2, 3, 4], lo, hi)], build: ([x]) => f(x!) },
];
const binaryCases = (f: (a: Value, b: Value) => Value, lo = -3, hi = 3): Case[] => [
  { inputs: [uniform([2, 3], lo, hi), uniform([2, 3], lo, hi)], build: ([a, b]) => f(a!, b!) },
  // Broadcast both ways: [3,1] against [4].
  { inputs: [uniform([3, 1], lo, hi), uniform([4], lo, hi)], build: ([a, b]) => f(a!, b!) },
];
const compareCases = (f: (a: Value, b: Value) => Value): Case[] => [
  // Small integers as floats so ties (a == b) actually occur.
  { inputs: [ints([3, 4], -2, 2).cast("f32"), ints([4], -2, 2).cast("f32")], build: ([a, b]) => f(a!, b!) },
  { inputs: [ints([2, 3], -2, 2), ints([2, 3], -2, 2)], build: ([a, b]) => f(a!, b!) },
];

/**
 * Sample graphs for each op with an ONNX mapping. Keyed by registry name; a registry op without
 * an entry here fails the coverage test below.
 */
const CASES: Record<string, Case[]> = {
  neg: [...unaryCase(ops.neg), { inputs: [ints([5], -9, 9)], build: ([x]) => ops.neg(x!) }],
  abs: [...unaryCase(ops.abs), { inputs: [ints([5], -9, 9, "i64")], build: ([x]) => ops.abs(x!) }],
  exp: unaryCase(ops.exp),
  log: unaryCase(ops.log, 0.01, 5),
  sqrt: unaryCase(ops.sqrt, 0, 5),
  rsqrt: unaryCase(ops.rsqrt, 0.05, 5),
  tanh: unaryCase(ops.tanh),
  erf: unaryCase(ops.erf),
  sin: unaryCase(ops.sin),
  cos: unaryCase(ops.cos),
  sigmoid: unaryCase(ops.sigmoid, -8, 8),
  relu: unaryCase(ops.relu),
  silu: unaryCase(ops.silu),
  gelu: [
    ...unaryCase((x) => ops.gelu(x)), ...unaryCase((x) => ops.gelu(x, "tanh")),
    { inputs: [h([3, 5], -3, 3)], build: ([x]) => ops.gelu(x!), tol: F16_TOL },
  ],
  add: [
    ...binaryCases(ops.add),
    { inputs: [ints([2, 3], -50, 50)], build: ([a]) => ops.add(a!, 7) },
    { inputs: [h([2, 3]), h([3])], build: ([a, b]) => ops.add(a!, b!), tol: F16_TOL },
  ],
  sub: binaryCases(ops.sub),
  mul: [...binaryCases(ops.mul), { inputs: [ints([4], -9, 9, "i64"), ints([4], -9, 9, "i64")], build: ([a, b]) => ops.mul(a!, b!) }],
  div: [
    ...binaryCases(ops.div, 0.5, 3),
    // Integer division truncates toward zero in both.
    { inputs: [ints([6], -20, 20), Tensor.fromArray("i32", [6], [3, -3, 7, -7, 2, 5])], build: ([a, b]) => ops.div(a!, b!) },
  ],
  pow: binaryCases(ops.pow, 0.2, 2),
  maximum: [...binaryCases(ops.maximum), { inputs: [ints([5], -5, 5), ints([5], -5, 5)], build: ([a, b]) => ops.maximum(a!, b!) }],
  minimum: binaryCases(ops.minimum),
  equal: compareCases(ops.equal),
  greater: compareCases(ops.greater),
  greater_equal: compareCases(ops.greater_equal),
  less: compareCases(ops.less),
  less_equal: compareCases(ops.less_equal),
  where: [
    { inputs: [bools([2, 3]), uniform([2, 3]), uniform([3])], build: ([c, a, b]) => ops.where(c!, a!, b!) },
    { inputs: [uniform([4, 1])], build: ([x]) => ops.where(ops.greater(x!, 0), x!, -1) },
  ],
  cast: [
    { inputs: [uniform([7], -5, 5)], build: ([x]) => ops.cast(x!, "i32") },
    { inputs: [ints([7], -5, 5, "i64")], build: ([x]) => ops.cast(x!, "f32") },
    { inputs: [ints([6], -1, 1)], build: ([x]) => ops.cast(x!, "bool") },
    { inputs: [uniform([6], -70000, 70000)], build: ([x]) => ops.cast(ops.cast(x!, "f16"), "f32") },
  ],
  matmul: [
    { inputs: [uniform([3, 4]), uniform([4, 5])], build: ([a, b]) => ops.matmul(a!, b!) },
    { inputs: [uniform([2, 1, 3, 4]), uniform([3, 4, 2])], build: ([a, b]) => ops.matmul(a!, b!) },
    { inputs: [uniform([4]), uniform([2, 4, 3])], build: ([a, b]) => ops.matmul(a!, b!) },
    { inputs: [uniform([2, 3, 4]), uniform([4])], build: ([a, b]) => ops.matmul(a!, b!) },
    { inputs: [h([3, 8]), h([8, 2])], build: ([a, b]) => ops.matmul(a!, b!), tol: F16_TOL },
  ],
  softmax: [
    { inputs: [uniform([2, 3, 5], -4, 4)], build: ([x]) => ops.softmax(x!) },
    { inputs: [uniform([2, 3, 5], -4, 4)], build: ([x]) => ops.softmax(x!, 1) },
    { inputs: [h([2, 7], -4, 4)], build: ([x]) => ops.softmax(x!), tol: F16_TOL },
  ],
  log_softmax: [
    { inputs: [uniform([2, 6], -4, 4)], build: ([x]) => ops.log_softmax(x!) },
    { inputs: [uniform([3, 2, 2], -4, 4)], build: ([x]) => ops.log_softmax(x!, 0) },
  ],
  // Ops below are built with graph.add (the IR builder) so the table does not depend on
  // each DSL wrapper's argument conventions; symbolic cases exercise the emitter's dimValue.
  reduce_sum: [
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_sum", [x!], { axes: [1] }) },
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_sum", [x!], { axes: [0, -1], keepdims: true }) },
  ],
  reduce_mean: [
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_mean", [x!], { axes: [-1], keepdims: true }) },
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_mean", [x!], { axes: [0, 1] }) },
  ],
  reduce_max: [
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_max", [x!], { axes: [1] }) },
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reduce_max", [x!], { axes: [0, 2], keepdims: true }) },
  ],
  argmax: [
    { inputs: [uniform([3, 7])], build: ([x], g) => g.add("argmax", [x!], { axis: -1 }) },
    { inputs: [uniform([4, 2, 3])], build: ([x], g) => g.add("argmax", [x!], { axis: 0, keepdims: true }) },
  ],
  layer_norm: [
    { inputs: [uniform([2, 3, 8]), uniform([8]), uniform([8])], build: ([x, w, b], g) => g.add("layer_norm", [x!, w!, b!], { epsilon: 1e-5 }) },
    { inputs: [h([4, 6]), h([6]), h([6])], build: ([x, w, b], g) => g.add("layer_norm", [x!, w!, b!], { epsilon: 1e-5 }), tol: F16_TOL },
  ],
  rms_norm: [
    { inputs: [uniform([2, 5]), uniform([5])], build: ([x, w], g) => g.add("rms_norm", [x!, w!], { epsilon: 1e-6 }) },
  ],
  permute: [
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("permute", [x!], { dims: [2, 0, 1] }) },
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("permute", [x!], { dims: [0, -1, 1] }) },
  ],
  reshape: [
    { inputs: [uniform([2, 3, 4])], build: ([x], g) => g.add("reshape", [x!], { shape: [6, -1] }) },
    { inputs: [uniform([3, 2, 4])], types: [new TensorType("f32", ["batch", 2, 4])], build: ([x], g) => g.add("reshape", [x!], { shape: ["batch", 8] }) },
    { inputs: [uniform([3, 2, 4])], types: [new TensorType("f32", ["batch", 2, 4])], build: ([x], g) => g.add("reshape", [x!], { shape: [-1, 2, 2, 2] }) },
  ],
  slice: [
    { inputs: [uniform([5, 6])], build: ([x], g) => g.add("slice", [x!], { starts: [1], ends: [4], axes: [0] }) },
    { inputs: [uniform([5, 6])], build: ([x], g) => g.add("slice", [x!], { starts: [-2, null], ends: [null, null], axes: [0, 1], steps: [1, -2] }) },
    { inputs: [uniform([6, 3])], types: [new TensorType("f32", ["seq", 3])], build: ([x], g) => g.add("slice", [x!], { starts: [1], ends: ["seq"], axes: [0] }) },
    { inputs: [uniform([6, 3])], types: [new TensorType("f32", ["seq", 3])], build: ([x], g) => g.add("slice", [x!], { starts: ["seq-2"], ends: [null], axes: [0] }) },
  ],
  concat: [
    { inputs: [uniform([2, 3]), uniform([2, 5])], build: ([a, b], g) => g.add("concat", [a!, b!], { axis: 1 }) },
    { inputs: [uniform([1, 4]), uniform([3, 4]), uniform([2, 4])], build: (xs, g) => g.add("concat", xs, { axis: 0 }) },
    {
      inputs: [uniform([3, 4]), uniform([2, 4])], types: [new TensorType("f32", ["past", 4]), new TensorType("f32", ["seq", 4])],
      build: ([a, b], g) => g.add("concat", [a!, b!], { axis: 0 }),
    },
  ],
  pad: [
    { inputs: [uniform([2, 3])], build: ([x], g) => g.add("pad", [x!], { pads: [[1, 0], [2, 1]], value: 0.5 }) },
  ],
  broadcast_to: [
    { inputs: [uniform([3, 1])], build: ([x], g) => g.add("broadcast_to", [x!], { shape: [2, 3, 4] }) },
    { inputs: [uniform([4, 1])], types: [new TensorType("f32", ["batch", 1])], build: ([x], g) => g.add("broadcast_to", [x!], { shape: ["batch", 5] }) },
  ],
  gather: [
    { inputs: [uniform([10, 4]), ints([2, 3], 0, 9)], build: ([t, i], g) => g.add("gather", [t!, i!], { axis: 0 }) },
    { inputs: [uniform([2, 5, 3]), ints([4], 0, 4, "i64")], build: ([t, i], g) => g.add("gather", [t!, i!], { axis: 1 }) },
  ],
  iota: [
    { inputs: [], build: (_x, g) => g.add("iota", [], { shape: [3, 4], axis: 1, dtype: "i32" }) },
    {
      inputs: [uniform([5, 2])], types: [new TensorType("f32", ["seq", 2])],
      build: ([x], g) => [g.add("iota", [], { shape: ["seq", 3], axis: 0, dtype: "f32" }), g.add("iota", [], { shape: [2, "seq+1"], axis: -1, dtype: "i64" }), x!],
    },
  ],
  conv1d: [
    { inputs: [uniform([2, 4, 10]), uniform([6, 4, 3]), uniform([6])], build: ([x, w, b], g) => g.add("conv1d", [x!, w!, b!], { padding: 1 }) },
    { inputs: [uniform([1, 4, 11]), uniform([6, 2, 3])], build: ([x, w], g) => g.add("conv1d", [x!, w!], { stride: 2, dilation: 2, groups: 2, padding: [2, 1] }) },
  ],
};

const SOURCE_OPS = new Set(["input", "constant", "weight"]);

async function checkCase(op: string, c: Case, k: number): Promise<void> {
  const g = new Graph(`${op}_${k}`, c.types ?? c.inputs.map((t) => t.type));
  const built = c.build(g.inputs, g);
  const outs = Array.isArray(built) ? built : [built];
  g.output(...outs);
  expect(g.nodes.some((n) => n.op === op), `case ${k} of '${op}' does not contain the op`).toBe(true);
  const exe = await compile(g, { device: "reference", weights: c.weights });
  const want = await exe.execute(...c.inputs);
  const got = await runOrt(exportONNX(g, { weights: c.weights }), c.inputs, outs.map((v) => v.dtype));
  want.forEach((w, i) => expectClose(got[i]!, w, c.tol ?? TOL, `${op} case ${k} output ${i}`));
}

describe("every registry op exports to ONNX and matches the reference interpreter", () => {
  const names = opNames().filter((n) => !SOURCE_OPS.has(n));
  it.each(names)("%s", async (op) => {
    const cases = CASES[op];
    if (!cases?.length) throw new Error(`op '${op}' has no ONNX sample case: add one to CASES in onnx/export.test.ts`);
    for (const [k, c] of cases.entries()) await checkCase(op, c, k);
  });

  it("has no sample cases for ops that are not in the registry", () => {
    const known = new Set<string>(opNames());
    expect(Object.keys(CASES).filter((k) => !known.has(k))).toEqual([]);
  });
});

// ---- exporter contracts --------------------------------------------------------------------

function mlp(): { g: Graph; weights: Record<string, Tensor> } {
  const g = new Graph("mlp", [new TensorType("f32", ["batch", 4])]);
  const [x] = g.inputs;
  const w1 = g.weight("fc1.weight", new TensorType("f32", [4, 8]));
  const b1 = g.weight("fc1.bias", new TensorType("f32", [8]));
  const w2 = g.constant(uniform([8, 3]));
  g.output(ops.softmax(ops.matmul(ops.gelu(ops.add(ops.matmul(x!, w1), b1)), w2)));
  return { g, weights: { "fc1.weight": uniform([4, 8]), "fc1.bias": uniform([8]) } };
}

/** The decoded model's graph, with its repeated fields as plain arrays. */
function decode(bytes: Uint8Array) {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  return {
    opsetImport: m.opsetImport,
    graph: { input: g.input ?? [], output: g.output ?? [], initializer: g.initializer ?? [], node: g.node ?? [] },
  };
}
function dimsOf(v: { type?: { tensorType?: { shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null }) {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

describe("exportONNX", () => {
  it("stamps the opset and IR version and names inputs and outputs", () => {
    const { g, weights } = mlp();
    const m = decode(g.toONNX({ weights }));
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", ONNX_OPSET]]);
    expect(m.graph.input.map((i) => i.name)).toEqual(["input_0"]);
    expect(m.graph.output.map((i) => i.name)).toEqual(["output_0"]);
    expect(dimsOf(m.graph.input[0]!)).toEqual(["batch", 4]);
    expect(dimsOf(m.graph.output[0]!)).toEqual(["batch", 3]);
    const inits = m.graph.initializer.map((t) => t.name);
    expect(inits).toEqual(expect.arrayContaining(["fc1.weight", "fc1.bias"]));
    // Every value name is produced once.
    const produced = [...m.graph.node.flatMap((n) => n.output ?? []), ...inits, ...m.graph.input.map((i) => i.name)];
    expect(new Set(produced).size).toBe(produced.length);
  });

  it("runs a symbolic-batch model at two batch sizes, weights as initializers", async () => {
    const { g, weights } = mlp();
    const bytes = g.toONNX({ weights });
    const exe = await compile(g, { device: "reference", weights });
    for (const batch of [1, 5]) {
      const x = uniform([batch, 4]);
      const [want] = await exe.execute(x);
      const [got] = await runOrt(bytes, [x], ["f32"]);
      expectClose(got!, want!, TOL, `batch ${batch}`);
    }
  });

  it("runs a causal attention block with a symbolic sequence at two lengths", async () => {
    // Composites (split, causal_mask, scaled_dot_product_attention) over a symbolic length
    // exercise dimValue inside Reshape, Slice, Range and Expand together.
    const g = new Graph("attn", [new TensorType("f32", ["seq", 8])]);
    const [x] = g.inputs;
    const wqkv = g.constant(uniform([8, 24], -0.5, 0.5));
    const heads = (v: Value) => ops.permute(ops.reshape(v, ["seq", 2, 4]), [1, 0, 2]);
    const [q, k, v] = ops.split(ops.matmul(ops.layer_norm(x!, g.constant(uniform([8])), g.constant(uniform([8])), 1e-5), wqkv), [8, 8, 8], -1);
    const att = ops.scaled_dot_product_attention(heads(q!), heads(k!), heads(v!), { causal: true });
    const y = ops.reshape(ops.permute(att, [1, 0, 2]), ["seq", 8]);
    g.output(y, ops.argmax(ops.slice(y, [-1], [null], [0]), -1));
    const bytes = g.toONNX();
    const exe = await compile(g, { device: "reference" });
    for (const seq of [3, 6]) {
      const xin = uniform([seq, 8]);
      const want = await exe.execute(xin);
      const got = await runOrt(bytes, [xin], g.outputs.map((o) => o.dtype));
      want.forEach((w, i) => expectClose(got[i]!, w, TOL, `seq ${seq} output ${i}`));
    }
  });

  it("exports unbound weights as named graph inputs", async () => {
    const { g, weights } = mlp();
    const bytes = exportONNX(g);
    const m = decode(bytes);
    expect(m.graph.input.map((i) => i.name)).toEqual(["input_0", "fc1.weight", "fc1.bias"]);
    expect(m.graph.initializer.map((t) => t.name)).not.toContain("fc1.weight");
    const x = uniform([3, 4]);
    const [want] = await (await compile(g, { device: "reference", weights })).execute(x);
    const [got] = await runOrt(bytes, [x], ["f32"], weights);
    expectClose(got!, want!, TOL, "weights as inputs");
  });

  it("keeps the signature names when weights are called input_0 or output_0", async () => {
    const g = new Graph("names", [new TensorType("f32", [3])]);
    g.output(ops.mul(ops.add(g.inputs[0]!, g.weight("output_0", new TensorType("f32", [3]))), g.weight("input_0", new TensorType("f32", [3]))));
    const weights = { output_0: uniform([3]), input_0: uniform([3]) };
    const m = decode(g.toONNX({ weights }));
    expect(m.graph.input.map((i) => i.name)).toEqual(["input_0"]);
    expect(m.graph.output.map((o) => o.name)).toEqual(["output_0"]);
    const x = uniform([3]);
    const [want] = await (await compile(g, { device: "reference", weights })).execute(x);
    const [got] = await runOrt(g.toONNX({ weights }), [x], ["f32"]);
    expectClose(got!, want!, TOL, "renamed weights");
  });

  it("writes dim expressions as dim_params", () => {
    const g = new Graph("kv", [new TensorType("f32", ["past", 4]), new TensorType("f32", ["past+1", 4])]);
    g.output(ops.exp(g.inputs[1]!), g.inputs[0]!);
    const m = decode(g.toONNX());
    expect(dimsOf(m.graph.input[1]!)).toEqual(["past+1", 4]);
    expect(dimsOf(m.graph.output[0]!)).toEqual(["past+1", 4]);
    // An input returned as an output still gets its own output name.
    expect(m.graph.output.map((o) => o.name)).toEqual(["output_0", "output_1"]);
  });

  it("computes dimValue for symbols and expressions at run time", async () => {
    const g = new Graph("dims", [new TensorType("f32", ["batch", "seq"]), new TensorType("f32", ["seq+2"])]);
    g.output(ops.neg(g.inputs[0]!));
    const b = new OnnxModelBuilder(g).emitGraph();
    const exprs = ["batch", "seq+2", "2*batch+seq-1", "batch*seq", "-seq+10", 7] as const;
    exprs.forEach((d, i) => b.addOutput(`output_${i + 1}`, b.dimValue(d), new TensorType("i64", [1])));
    const x = uniform([3, 5]), y = uniform([7]);
    const got = await runOrt(b.toBytes(), [x, y], ["f32", ...exprs.map(() => "i64" as const)]);
    const [B, S] = [3, 5];
    expect(got.slice(1).map((t) => t.toArray())).toEqual([[B], [S + 2], [2 * B + S - 1], [B * S], [10 - S], [7]]);
    expect(() => b.dimValue("heads")).toThrow(/symbolic dim 'heads' is not a dim of any graph input: expected one of batch, seq, seq\+2/);
  });

  it("rejects graphs without outputs and wrong or missing weights, naming them", () => {
    const g = new Graph("empty", [new TensorType("f32", [2])]);
    expect(() => g.toONNX()).toThrow(/\[onnx\] graph 'empty' has no outputs/);
    const { g: m, weights } = mlp();
    expect(() => m.toONNX({ weights: { "fc1.weight": weights["fc1.weight"]! } })).toThrow(/\[onnx\].*needs weight 'fc1.bias'/);
    expect(() => m.toONNX({ weights: { ...weights, "fc1.bias": uniform([9]) } })).toThrow(/\[onnx\] weight 'fc1.bias': expected f32\[8\], got f32\[9\]/);
  });
});
