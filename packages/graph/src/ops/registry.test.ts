// The registry as a whole: every entry is complete (docs fields, fusion class, expr for
// elementwise ops), infer and reference agree on output shapes for every op's sample, and every
// ONNX hook emits only standard ONNX ops through the OnnxEmitter interface.

import { describe, expect, it } from "vitest";
import { evalDim } from "../dim.js";
import type { OnnxAttr, OnnxEmitter } from "../onnx/emitter.js";
import { REGISTRY, getOp, opNames } from "./registry.js";
import { OP_SAMPLES } from "./samples.js";

// Standard ONNX ops (all in opset 17-21, all run by onnxruntime's CPU provider).
const ALLOWED_ONNX = new Set([
  "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Tanh", "Erf", "Sin", "Cos", "Sigmoid", "Relu", "Add", "Sub", "Mul", "Div",
  "Pow", "Max", "Min", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Where", "Cast", "MatMul", "Softmax",
  "LogSoftmax", "ReduceSum", "ReduceMean", "ReduceMax", "ArgMax", "LayerNormalization", "Transpose", "Reshape", "Slice",
  "Concat", "Pad", "Expand", "Gather", "Range", "Conv",
]);

interface Emitted { op: string; inputs: readonly string[]; attrs?: Record<string, OnnxAttr>; out: string }
function recorder(opset: number): OnnxEmitter & { nodes: Emitted[]; values: Map<string, unknown> } {
  let n = 0;
  const nodes: Emitted[] = [];
  const values = new Map<string, unknown>();
  const fresh = (v: unknown) => { const name = `v${n++}`; values.set(name, v); return name; };
  return {
    opset, nodes, values,
    node(op, inputs, attrs) { const out = fresh(op); nodes.push({ op, inputs, attrs, out }); return out; },
    nodeMulti(op, inputs, outputs, attrs) {
      const outs = Array.from({ length: outputs }, () => fresh(op));
      nodes.push({ op, inputs, attrs, out: outs[0]! });
      return outs;
    },
    initializer: (t) => fresh(t), i64: (v) => fresh([...v]), scalar: (dt, v) => fresh({ dt, v }), dimValue: (d) => fresh({ dim: d }),
  };
}

const ENV = { batch: 2, seq: 3, past: 1 };

describe("registry", () => {
  it("every entry is complete and named by its key", () => {
    for (const name of opNames()) {
      const def = getOp(name);
      expect(def.name, name).toBe(name);
      expect(def.summary.length, name).toBeGreaterThan(2);
      expect(def.signature, name).toMatch(/\(/);
      if (def.fusion === "elementwise") expect(def.expr, `${name} needs an expr`).toBeTypeOf("function");
    }
  });

  for (const name of opNames()) {
    const sample = OP_SAMPLES[name];
    if (!sample) continue;
    it(`${name}: infer, reference and onnx agree on the sample`, () => {
      const def = getOp(name);
      const attrs = def.attrs.parse(sample.attrs) as Record<string, unknown>;
      const out = def.infer(sample.inputs, attrs);
      const arity = typeof def.arity === "number" ? [def.arity, def.arity] : def.arity;
      expect(sample.inputs.length).toBeGreaterThanOrEqual(arity[0]!);
      expect(sample.inputs.length).toBeLessThanOrEqual(arity[1]!);
      // Reference on concrete data: its result must have exactly the inferred (bound) shape.
      const inputs = sample.inputs.map((t, i) => {
        const shape = t.shape.map((d) => evalDim(d, ENV));
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float64Array.from({ length: n }, (_, j) => (t.dtype === "bool" ? (i + j) % 2 : t.dtype.startsWith("i") ? j % 2 : 0.25 + ((j * 7 + i) % 5) / 4));
        return { dtype: t.dtype, shape, data };
      });
      const shape = out.shape.map((d) => evalDim(d, ENV));
      const r = def.reference(inputs, attrs as never, { dtype: out.dtype, shape, env: ENV });
      expect(r.data.length, `${name}: reference size`).toBe(shape.reduce((a, b) => a * b, 1));
      expect([...r.shape]).toEqual(shape);
      for (const opset of [17, 18, 21]) {
        const ctx = recorder(opset);
        const res = def.onnx(ctx, sample.inputs.map((_, i) => `in${i}`), attrs as never, { inputs: sample.inputs, output: out });
        expect(ctx.values.has(res) || res.startsWith("in"), `${name}: returns an emitted value`).toBe(true);
        for (const node of ctx.nodes) expect(ALLOWED_ONNX, `${name} emits ${node.op}`).toContain(node.op);
      }
    });
  }

  it("reductions pass axes as an input from opset 18 and as an attribute before", () => {
    const def = getOp("reduce_mean");
    const t = OP_SAMPLES.reduce_mean!;
    const out = def.infer(t.inputs, def.attrs.parse(t.attrs) as never);
    const old = recorder(17), cur = recorder(18);
    def.onnx(old, ["x"], def.attrs.parse(t.attrs) as never, { inputs: t.inputs, output: out });
    def.onnx(cur, ["x"], def.attrs.parse(t.attrs) as never, { inputs: t.inputs, output: out });
    expect(old.nodes[0]).toMatchObject({ op: "ReduceMean", inputs: ["x"], attrs: { axes: [2], keepdims: 1 } });
    expect(cur.nodes[0]!.inputs.length).toBe(2);
    expect(cur.values.get(cur.nodes[0]!.inputs[1]!)).toEqual([2]);
  });

  it("slice emits symbolic bounds through dimValue and open bounds as huge i64s", () => {
    const def = getOp("slice");
    const t = OP_SAMPLES.slice!;
    const attrs = def.attrs.parse(t.attrs) as never;
    const ctx = recorder(18);
    def.onnx(ctx, ["x"], attrs, { inputs: t.inputs, output: def.infer(t.inputs, attrs) });
    const slice = ctx.nodes.find((n) => n.op === "Slice")!;
    // Follow Concat nodes back to the literal and dimValue pieces they join.
    const flat = (name: string): unknown[] => {
      const concat = ctx.nodes.find((n) => n.out === name && n.op === "Concat");
      return concat ? concat.inputs.flatMap(flat) : (ctx.values.get(name) as unknown[]);
    };
    expect(flat(slice.inputs[1]!)).toEqual([1, { dim: "past" }]);
    expect(flat(slice.inputs[2]!)).toEqual([Number.MAX_SAFE_INTEGER, { dim: "past+2" }]);
    expect(ctx.values.get(slice.inputs[3]!)).toEqual([0, 1]);
    expect(ctx.values.get(slice.inputs[4]!)).toEqual([2, 1]);
  });

  it("iota is elementwise with an index expression; the exhaustive table lists it", () => {
    const def = getOp("iota");
    const t = OP_SAMPLES.iota!;
    const attrs = def.attrs.parse(t.attrs) as never;
    const out = def.infer([], attrs);
    expect(def.expr!([], attrs, { inputs: [], output: out })).toEqual({ k: "cast", a: { k: "index", axis: 0 }, dtype: "i32" });
    expect(Object.keys(REGISTRY)).toContain("iota");
  });
});
