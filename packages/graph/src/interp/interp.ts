// The reference interpreter: evaluates any graph node by node in float64 JS, rounding each
// result to its dtype. It is the oracle every backend and pass is checked against, so it
// favours clarity; intermediates are dropped after their last use to bound memory.

import { type Bindings, evalDim, isSymbolName, shapeToString } from "../dim.js";
import { ExecutionError } from "../errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { getOp } from "../ops/registry.js";
import type { NDArray } from "../ops/types.js";
import { roundTo } from "../dtype.js";
import { Tensor } from "../tensor.js";
import type { TensorType } from "../tensor-type.js";

export function toNDArray(t: Tensor): NDArray {
  return { dtype: t.dtype, shape: t.shape, data: t.toFloat64Array() };
}

export function fromNDArray(a: NDArray): Tensor {
  return Tensor.fromFloat64(a.dtype, a.shape, a.data);
}

/**
 * Bind the symbolic dims of the graph's inputs from the actual input shapes, checking every
 * static dim and every dim expression on the way. Errors name the input and both shapes.
 */
export function bindInputs(graph: Graph, inputs: readonly Tensor[]): Record<string, number> {
  if (inputs.length !== graph.inputs.length)
    throw new ExecutionError(`[execute] graph '${graph.name}' takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  const env: Record<string, number> = {};
  const check = (i: number, t: TensorType, x: Tensor, second: boolean) => {
    const bad = () =>
      new ExecutionError(`[execute] input ${i} of graph '${graph.name}': expected ${t}, got ${x.dtype}${shapeToString(x.shape)}`);
    if (x.dtype !== t.dtype || x.rank !== t.rank) throw bad();
    t.shape.forEach((d, a) => {
      const actual = x.shape[a]!;
      if (typeof d === "string" && isSymbolName(d)) {
        if (env[d] === undefined) env[d] = actual;
        else if (env[d] !== actual) throw bad();
      } else if (second) {
        if (evalDim(d, env) !== actual) throw bad();
      }
    });
  };
  // Plain symbols first, then expressions over them (e.g. "past+1").
  graph.inputs.forEach((v, i) => check(i, v.type, inputs[i]!, false));
  graph.inputs.forEach((v, i) => {
    try {
      check(i, v.type, inputs[i]!, true);
    } catch (e) {
      if (e instanceof ExecutionError) throw e;
      throw new ExecutionError(`[execute] input ${i} of graph '${graph.name}': ${(e as Error).message}`);
    }
  });
  return env;
}

export function concreteShape(t: TensorType, env: Bindings): number[] {
  return t.shape.map((d) => evalDim(d, env));
}

/** Nodes that the outputs depend on, and each node's last consumer index. */
function liveness(graph: Graph): { needed: boolean[]; lastUse: number[] } {
  const needed = new Array<boolean>(graph.nodes.length).fill(false);
  for (const id of graph.outputNodeIds) needed[id] = true;
  for (let i = graph.nodes.length - 1; i >= 0; i--)
    if (needed[i]) for (const j of graph.nodes[i]!.inputs) needed[j] = true;
  const lastUse = new Array<number>(graph.nodes.length).fill(-1);
  for (const n of graph.nodes) if (needed[n.id]) for (const j of n.inputs) lastUse[j] = n.id;
  for (const id of graph.outputNodeIds) lastUse[id] = Infinity;
  return { needed, lastUse };
}

export function interpret(graph: Graph, inputs: readonly Tensor[], weights: ReadonlyMap<string, Tensor> = new Map()): Tensor[] {
  const env = bindInputs(graph, inputs);
  const { needed, lastUse } = liveness(graph);
  const values = new Map<number, NDArray>();
  for (const node of graph.nodes) {
    if (!needed[node.id]) continue;
    values.set(node.id, evalNode(graph, node, env, inputs, weights, values));
    for (const j of node.inputs) if (lastUse[j] === node.id) values.delete(j);
  }
  return graph.outputNodeIds.map((id) => fromNDArray(values.get(id)!));
}

function evalNode(
  graph: Graph, node: Node, env: Bindings, inputs: readonly Tensor[],
  weights: ReadonlyMap<string, Tensor>, values: Map<number, NDArray>,
): NDArray {
  switch (node.op) {
    case "input": return toNDArray(inputs[node.attrs.index as number]!);
    case "constant": return toNDArray(graph.constants.get(node.id)!);
    case "weight": {
      const w = weights.get(node.attrs.name as string);
      if (!w) throw new ExecutionError(`[weight] no data bound for weight '${node.attrs.name}'`);
      return toNDArray(w);
    }
  }
  const shape = concreteShape(node.type, env);
  const args = node.inputs.map((j) => values.get(j)!);
  let r: NDArray;
  try {
    r = getOp(node.op).reference(args, node.attrs as never, { dtype: node.type.dtype, shape });
  } catch (e) {
    throw new ExecutionError(`[${node.op}] failed in the interpreter at node %${node.id}: ${(e as Error).message}`);
  }
  const dt = node.type.dtype;
  for (let i = 0; i < r.data.length; i++) r.data[i] = roundTo(dt, r.data[i]!);
  return { dtype: dt, shape, data: r.data };
}
