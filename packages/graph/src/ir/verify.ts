// The verifier: the definition of a valid graph. Checks SSA order, operands, attributes against
// each op's schema, stored types against the op's inference, sources (inputs, constants,
// weights) and outputs. Runs after every pass in tests and debug builds; throws VerifyError.

import { dimEq } from "../dim.js";
import { VerifyError } from "../errors.js";
import { getOp, isOpName } from "../ops/registry.js";
import { TensorType } from "../tensor-type.js";
import type { Graph, Node } from "./graph.js";

/** Throws VerifyError(pass, node) at the first problem found; returns the graph otherwise. */
export function verify(graph: Graph, pass = "verify"): Graph {
  const fail = (node: number | undefined, msg: string): never => {
    throw new VerifyError(pass, node, msg);
  };
  const weightNames = new Map<string, number>();
  const inputIndex = new Map<number, number>();
  for (const [i, n] of graph.nodes.entries()) {
    if (!n || n.id !== i) fail(i, `node id mismatch: expected ${i}, got ${n?.id}`);
    if (!isOpName(n.op)) fail(i, `unknown op: expected a registered op, got '${n.op}'`);
    if (!(n.type instanceof TensorType)) fail(i, `[${n.op}] type is not a TensorType: got ${String(n.type)}`);
    const def = getOp(n.op);
    const [lo, hi] = typeof def.arity === "number" ? [def.arity, def.arity] : def.arity;
    if (n.inputs.length < lo || n.inputs.length > hi)
      fail(i, `[${n.op}] wrong operand count: expected ${lo === hi ? lo : `${lo}..${hi}`}, got ${n.inputs.length}`);
    for (const j of n.inputs)
      if (!Number.isInteger(j) || j < 0 || j >= i)
        fail(i, `[${n.op}] operand %${j} does not precede its use: expected an id in 0..${i - 1}`);
    checkAttrsAndType(n, graph, fail);
    if (n.op === "input") {
      const idx = n.attrs.index as number;
      if (inputIndex.has(idx)) fail(i, `[input] index ${idx} used twice: also node %${inputIndex.get(idx)}`);
      inputIndex.set(idx, i);
    } else if (n.op === "weight") {
      const name = n.attrs.name as string;
      if (weightNames.has(name)) fail(i, `[weight] name '${name}' declared twice: also node %${weightNames.get(name)}`);
      weightNames.set(name, i);
    } else if (n.op === "constant") {
      const t = graph.constants.get(i);
      if (!t) fail(i, `[constant] has no data in graph.constants`);
      else if (t.dtype !== n.type.dtype || t.rank !== n.type.rank || !t.shape.every((d, a) => dimEq(d, n.type.shape[a]!)))
        fail(i, `[constant] data does not match the node type: expected ${n.type}, got ${t.type}`);
    }
  }
  for (const id of graph.constants.keys())
    if (graph.nodes[id]?.op !== "constant")
      fail(id, `constant data stored for a node that is not a constant: got op '${graph.nodes[id]?.op ?? "none"}'`);
  // graph.inputs must be exactly the input nodes, in index order.
  if (graph.inputs.length !== inputIndex.size)
    fail(undefined, `graph.inputs lists ${graph.inputs.length} values but the graph has ${inputIndex.size} input nodes`);
  for (const [k, v] of graph.inputs.entries()) {
    if (v.graph !== graph) fail(v.id, `graph.inputs[${k}] belongs to graph '${v.graph.name}', not '${graph.name}'`);
    const n = graph.nodes[v.id];
    if (n?.op !== "input") fail(v.id, `graph.inputs[${k}] is not an input node: got op '${n?.op ?? "none"}'`);
    if (n!.attrs.index !== k) fail(v.id, `graph.inputs[${k}] has the wrong index: expected ${k}, got ${String(n!.attrs.index)}`);
  }
  for (const [k, id] of graph.outputNodeIds.entries())
    if (!Number.isInteger(id) || !graph.nodes[id]) fail(undefined, `output ${k} refers to a missing node: got %${id}`);
  return graph;
}

function checkAttrsAndType(n: Node, graph: Graph, fail: (node: number, msg: string) => never): void {
  const def = getOp(n.op);
  const parsed = def.attrs.safeParse(n.attrs);
  if (!parsed.success) {
    const why = parsed.error.issues.map((x) => `${x.path.join(".") || "attrs"}: ${x.message}`).join("; ");
    fail(n.id, `[${n.op}] attributes fail the op's schema: ${why}`);
  }
  let want: TensorType;
  try {
    want = def.infer(n.inputs.map((j) => graph.nodes[j]!.type), n.attrs as never);
  } catch (e) {
    return fail(n.id, `[${n.op}] type inference rejects the operands: ${(e as Error).message}`);
  }
  if (!want.equals(n.type)) fail(n.id, `[${n.op}] stored type differs from inference: expected ${want}, got ${n.type}`);
}
