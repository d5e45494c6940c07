// Each pass on hand-built graphs: the ops and node counts left afterwards, the signature kept,
// and interpreter results unchanged (checked against the unoptimised graph).

import { describe, expect, it } from "vitest";
import { Graph, Tensor, TensorType, currentGraph, interpret, ops, type Value } from "../index.js";
import type { OpName } from "../ops/registry.js";
import { verify } from "../ir/verify.js";
import { canonicalize } from "./canonicalize.js";
import { foldConstants } from "./const-fold.js";
import { eliminateCommonSubexpressions } from "./cse.js";
import { eliminateDeadCode } from "./dce.js";
import { rebuild } from "./rebuild.js";
import { assertClose, rng } from "./random-graph.test-util.js";

const f32 = (...shape: (number | string)[]) => new TensorType("f32", shape);
const opsOf = (g: Graph) => g.nodes.map((n) => n.op);
const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;
const randomInputs = (g: Graph, seed = 1) => {
  const r = rng(seed);
  return g.inputs.map((v) => {
    const shape = v.shape.map((d) => (typeof d === "number" ? d : 2));
    return Tensor.fromArray(v.dtype, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 3));
  });
};
/** Run `pass`, verify its result, and check it computes what the original computes. */
function check(g: Graph, pass: (g: Graph) => Graph, weights = new Map<string, Tensor>()): Graph {
  const out = pass(g);
  verify(out, "test");
  const xs = randomInputs(g);
  assertClose(interpret(out, xs, weights), interpret(g, xs, weights));
  return out;
}
const scalar = (g: Graph, v: number) => g.constant(Tensor.scalar("f32", v));
const add = (g: Graph, op: string, xs: Value[], attrs: Record<string, unknown> = {}) => g.add(op as OpName, xs, attrs);

describe("canonicalize", () => {
  it("removes x*1, 1*x, x+0, x-0, x/1 and x**1", () => {
    const g = new Graph("ids", [f32(2, 3)]);
    const [x] = g.inputs as [Value];
    const y = ops.pow(ops.div(ops.sub(ops.add(ops.mul(ops.mul(x, 1), scalar(g, 1)), 0), 0), 1), 1);
    g.output(ops.exp(ops.add(scalar(g, 0), y)));
    const out = eliminateDeadCode(check(g, canonicalize));
    expect(opsOf(out)).toEqual(["input", "exp"]);
  });

  it("keeps identities that would change the type by broadcasting", () => {
    const g = new Graph("bcast", [f32(3)]);
    const [x] = g.inputs as [Value];
    g.output(ops.mul(x, g.constant(Tensor.fromArray("f32", [2, 3], [1, 1, 1, 1, 1, 1]))));
    const out = check(g, canonicalize);
    expect(count(out, "mul")).toBe(1);
    expect(out.nodes[out.outputNodeIds[0]!]!.type.toString()).toBe("f32[2, 3]");
  });

  it("keeps x*c when c is not all ones, and x+(-0)/x+0 only when all elements match", () => {
    const g = new Graph("notone", [f32(3)]);
    const [x] = g.inputs as [Value];
    g.output(ops.add(ops.mul(x, g.constant(Tensor.fromArray("f32", [3], [1, 1, 2]))), g.constant(Tensor.fromArray("f32", [3], [0, 0, 1e-30]))));
    const out = check(g, canonicalize);
    expect(count(out, "mul")).toBe(1);
    expect(count(out, "add")).toBe(1);
  });

  it("folds double negation and turns x + (-y) into x - y", () => {
    const g = new Graph("neg", [f32(4), f32(4)]);
    const [x, y] = g.inputs as [Value, Value];
    const a = ops.neg(ops.neg(x)); // -> x
    const b = ops.neg(ops.neg(ops.neg(y))); // -> -y
    g.output(ops.add(a, b), ops.abs(ops.abs(ops.neg(x))), ops.relu(ops.relu(y)));
    const out = eliminateDeadCode(check(g, canonicalize));
    expect(count(out, "neg")).toBe(0);
    expect(count(out, "sub")).toBe(1);
    expect(count(out, "abs")).toBe(1);
    expect(count(out, "relu")).toBe(1);
    const sub = out.nodes.find((n) => n.op === "sub")!;
    expect(sub.inputs).toEqual([out.inputs[0]!.id, out.inputs[1]!.id]);
  });

  it("turns x * -1 into neg(x) and removes a cast to the same dtype", () => {
    const g = new Graph("mneg", [f32(2, 2)]);
    const [x] = g.inputs as [Value];
    g.output(ops.cast(ops.mul(x, -1), "f32"));
    const out = eliminateDeadCode(check(g, canonicalize));
    expect(opsOf(out)).toEqual(["input", "neg"]);
  });

  it("orders commutative operands so CSE merges a+b with b+a, but never non-commutative ones", () => {
    const g = new Graph("comm", [f32(3), f32(3)]);
    const [a, b] = g.inputs as [Value, Value];
    g.output(ops.mul(ops.add(b, a), ops.add(a, b)), ops.sub(b, a), ops.maximum(b, a));
    const canon = check(g, canonicalize);
    for (const n of canon.nodes) if (["add", "mul", "maximum"].includes(n.op)) expect(n.inputs[0]).toBeLessThan(n.inputs[1]!);
    const sub = canon.nodes.find((n) => n.op === "sub")!;
    expect(sub.inputs).toEqual([b.id, a.id]);
    const out = eliminateDeadCode(check(canon, eliminateCommonSubexpressions));
    expect(count(out, "add")).toBe(1);
  });

  it("composes permute of permute and removes identity permutes", () => {
    const g = new Graph("perm", [f32(2, 3, 4)]);
    const [x] = g.inputs as [Value];
    const p = add(g, "permute", [add(g, "permute", [x], { dims: [1, 2, 0] })], { dims: [2, 0, 1] }); // identity overall
    const q = add(g, "permute", [add(g, "permute", [x], { dims: [1, 0, 2] })], { dims: [0, 2, 1] }); // -> [1, 2, 0]
    const r = add(g, "permute", [x], { dims: [0, 1, -1] }); // identity
    g.output(ops.exp(p), q, r);
    const out = eliminateDeadCode(check(g, canonicalize));
    const perms = out.nodes.filter((n) => n.op === "permute");
    expect(perms.map((n) => n.attrs.dims)).toEqual([[1, 2, 0]]);
    expect(out.outputNodeIds[2]).toBe(out.inputs[0]!.id);
  });

  it("folds reshape of reshape (with -1) and removes identity reshapes and broadcasts", () => {
    const g = new Graph("resh", [f32("n", 6)]);
    const [x] = g.inputs as [Value];
    const r = add(g, "reshape", [add(g, "reshape", [x], { shape: ["n", 2, 3] })], { shape: [-1, 3] });
    const same = add(g, "reshape", [x], { shape: ["n", -1] });
    const b = add(g, "broadcast_to", [x], { shape: ["n", 6] });
    g.output(r, ops.add(same, b));
    const out = eliminateDeadCode(check(g, canonicalize));
    expect(count(out, "reshape")).toBe(1);
    expect(count(out, "broadcast_to")).toBe(0);
    expect(out.nodes.find((n) => n.op === "reshape")!.inputs).toEqual([out.inputs[0]!.id]);
  });
});

describe("foldConstants", () => {
  it("evaluates all-constant subgraphs with the interpreter's semantics", () => {
    const g = new Graph("fold", [f32(2, 2)]);
    const [x] = g.inputs as [Value];
    const c = ops.exp(ops.add(scalar(g, 2), scalar(g, 3))); // e^5
    const m = ops.matmul(g.constant(Tensor.fromArray("f32", [2, 2], [1, 2, 3, 4])), g.constant(Tensor.fromArray("f32", [2, 2], [5, 6, 7, 8])));
    g.output(ops.mul(x, c), ops.add(x, m));
    const out = eliminateDeadCode(check(g, foldConstants));
    expect(opsOf(out).sort()).toEqual(["add", "constant", "constant", "input", "mul"]);
    const mul = out.nodes.find((n) => n.op === "mul")!;
    expect(out.constants.get(mul.inputs[1]!)!.toArray()).toEqual([Math.fround(Math.exp(5))]);
    const sum = out.nodes.find((n) => n.op === "add")!;
    expect(out.constants.get(sum.inputs[1]!)!.toArray()).toEqual([19, 22, 43, 50]);
  });

  it("rounds folded results to the node's dtype (f16)", () => {
    const g = new Graph("f16fold");
    const c = g.constant(Tensor.fromArray("f16", [3], [0.1, 1, 3]));
    g.output(ops.exp(c));
    const out = check(g, foldConstants);
    const t = out.constants.get(out.outputNodeIds[0]!)!;
    expect(t.dtype).toBe("f16");
    // e^3 = 20.0855…; f16 spacing in [16, 32) is 1/64, so 20 + 5/64 = 20.078125 is nearest (20.09375 is 0.0082 away).
    expect(t.toArray()[2]).toBe(20.078125);
  });

  it("leaves results above the size cap as nodes", () => {
    const g = new Graph("cap");
    const big = g.constant(Tensor.zeros("f32", [64, 64]));
    g.output(ops.exp(big), ops.neg(scalar(g, 1)));
    const out = check(g, (x) => foldConstants(x, { maxElements: 1000 }));
    expect(count(out, "exp")).toBe(1);
    expect(count(out, "neg")).toBe(0);
  });

  it("never folds inputs or weights", () => {
    const g = new Graph("nofold", [f32(2)]);
    const [x] = g.inputs as [Value];
    const w = g.weight("w", f32(2));
    g.output(ops.add(x, w));
    const weights = new Map([["w", Tensor.fromArray("f32", [2], [1, 2])]]);
    const out = check(g, foldConstants, weights);
    expect(opsOf(out)).toEqual(["input", "weight", "add"]);
  });
});

describe("eliminateCommonSubexpressions", () => {
  it("merges identical nodes and equal constants, keeps distinct ones", () => {
    const g = new Graph("cse", [f32(2, 3), f32(2, 3)]);
    const [x, y] = g.inputs as [Value, Value];
    const e1 = ops.exp(x), e2 = ops.exp(x), e3 = ops.exp(y);
    const s0 = ops.softmax(e1, 0), s1 = ops.softmax(e2, 1), s2 = ops.softmax(e2, -1);
    const c1 = ops.mul(s1, scalar(g, 2)), c2 = ops.mul(s2, scalar(g, 2)), c3 = ops.mul(s2, scalar(g, 3));
    g.output(e3, s0, c1, c2, c3);
    const out = check(g, eliminateCommonSubexpressions);
    expect(count(out, "input")).toBe(2);
    expect(count(out, "exp")).toBe(2);
    // softmax axis 1 and -1 are different attributes (not normalised): both stay, axis 0 too.
    expect(count(out, "softmax")).toBe(3);
    expect(count(out, "constant")).toBe(2);
    expect(count(out, "mul")).toBe(3);
  });
});

describe("eliminateCommonSubexpressions on large constants", () => {
  it("merges large constants that share storage, without hashing their bytes", () => {
    const g = new Graph("bigc", [f32(128, 256)]);
    const [x] = g.inputs as [Value];
    const t = Tensor.fromArray("f32", [128, 256], Array.from({ length: 128 * 256 }, (_, i) => (i % 7) - 3));
    const other = Tensor.fromArray("f32", [128, 256], Array.from(t.toFloat64Array(), (v) => v + 1));
    g.output(ops.add(ops.add(x, g.constant(t)), ops.add(g.constant(t), g.constant(other))));
    const out = check(g, eliminateCommonSubexpressions);
    expect(count(out, "constant")).toBe(2);
  });
});

describe("canonicalize leftovers", () => {
  it("folds maximum(x, x) and minimum(x, x) to x", () => {
    const g = new Graph("mm", [f32(3)]);
    const [x] = g.inputs as [Value];
    g.output(ops.exp(ops.minimum(ops.maximum(x, x), ops.maximum(x, x))));
    const out = eliminateDeadCode(check(g, canonicalize));
    expect(opsOf(out)).toEqual(["input", "exp"]);
  });

  it("does not make the rebuilt graph the current graph", () => {
    const user = new Graph("user", [f32(2)]);
    const other = new Graph("other", [f32(2)]);
    other.output(ops.exp(other.inputs[0]!));
    const current = currentGraph();
    canonicalize(other);
    expect(currentGraph()).toBe(current);
    void user;
  });
});

describe("eliminateDeadCode", () => {
  it("drops nodes that reach no output but keeps every input in order", () => {
    const g = new Graph("dce", [f32(2), f32(2), f32(2)]);
    const [a, , c] = g.inputs as [Value, Value, Value];
    const w = g.weight("unused", f32(2));
    ops.exp(ops.add(a, w)); // dead
    const live = ops.tanh(c);
    g.output(live, a);
    const out = check(g, eliminateDeadCode);
    expect(opsOf(out)).toEqual(["input", "input", "input", "tanh"]);
    expect(out.inputs.map((v) => v.node.attrs.index)).toEqual([0, 1, 2]);
    expect(out.weights()).toEqual([]);
    expect(out.outputNodeIds).toEqual([3, 0]);
  });
});

describe("rebuild", () => {
  it("keeps input order, weight names and the graph name when inputs were added late", () => {
    const g = new Graph("late", [f32(2)]);
    const [a] = g.inputs as [Value];
    const w = g.weight("enc.w", f32(2));
    const t = ops.mul(a, w);
    const b = g.addInput(f32(2));
    g.output(ops.add(t, b));
    const out = rebuild(g);
    verify(out, "rebuild");
    expect(out.name).toBe("late");
    expect(out.inputs.map((v) => v.id)).toEqual([0, 3]);
    expect(out.weights().map((x) => x.name)).toEqual(["enc.w"]);
    expect(out.toString()).toBe(g.toString());
    expect(out).not.toBe(g);
  });
});
