// The reference interpreter: evaluates any graph node by node in float64 JS, rounding each
// result to its dtype. It is the oracle every backend and pass is checked against, so it
// favours clarity; intermediates are dropped after their last use to bound memory, and values
// that only the weights determine are kept between runs.

import { type Bindings, dimSymbols, evalDim, isSymbolName, shapeToString } from "../dim.js";
import { ExecutionError } from "../errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { getOp } from "../ops/registry.js";
import type { NDArray } from "../ops/types.js";
import { type DType, roundTo } from "../dtype.js";
import { Tensor } from "../tensor.js";
import type { TensorType } from "../tensor-type.js";
import { type AnyTensor, isDeviceTensor } from "../backend.js";

export function toNDArray(t: Tensor): NDArray {
  return { dtype: t.dtype, shape: t.shape, data: t.toFloat64Array() };
}

export function fromNDArray(a: NDArray): Tensor {
  return Tensor.fromFloat64(a.dtype, a.shape, a.data);
}

/** What binding reads of an input: host and device tensors alike. */
export type TensorMeta = Pick<Tensor, "dtype" | "shape" | "rank">;

/**
 * Bind the symbolic dims of the graph's inputs from the actual input shapes, checking every
 * static dim and every dim expression on the way. Errors name the input and both shapes.
 */
export function bindInputs(graph: Graph, inputs: readonly TensorMeta[]): Record<string, number> {
  if (inputs.length !== graph.inputs.length)
    throw new ExecutionError(`[execute] graph '${graph.name}' takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  const env: Record<string, number> = {};
  const check = (i: number, t: TensorType, x: TensorMeta, second: boolean) => {
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
  // Plain symbols first, then symbols that only occur inside expressions (an input of shape
  // ["past+seq"] binds `past` once `seq` is known), then every expression is checked.
  graph.inputs.forEach((v, i) => check(i, v.type, inputs[i]!, false));
  solveLinear(graph, inputs, env);
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

/**
 * Bind symbols that appear only in dim expressions: while some input dim mentions exactly one
 * unbound symbol, linearly (c0 + a·s), solve it from that dim's actual size.
 */
function solveLinear(graph: Graph, inputs: readonly TensorMeta[], env: Record<string, number>): void {
  for (let progress = true; progress;) {
    progress = false;
    graph.inputs.forEach((v, i) =>
      v.type.shape.forEach((d, ax) => {
        if (typeof d !== "string") return;
        const free = dimSymbols(d).filter((s) => env[s] === undefined);
        if (free.length !== 1) return;
        const s = free[0]!;
        const at = (x: number) => evalDim(d, { ...env, [s]: x });
        const c0 = at(0), a = at(1) - c0;
        if (a === 0 || at(2) - at(1) !== a) return;
        const val = (inputs[i]!.shape[ax]! - c0) / a;
        if (!Number.isInteger(val) || val < 0)
          throw new ExecutionError(`[execute] input ${i} of graph '${graph.name}': dim '${d}' cannot be ${inputs[i]!.shape[ax]} (it would need ${s} = ${val})`);
        env[s] = val;
        progress = true;
      }),
    );
  }
}

/**
 * Check caller-provided outputs (Executable.executeInto) against the graph's outputs under the
 * dims bound from the inputs: count, dtype and shape, and no output sharing memory with an input
 * (kernels read inputs while they write outputs). Errors name the output and both types.
 */
export function checkOutputs(graph: Graph, env: Bindings, outputs: readonly Tensor[], inputs: readonly AnyTensor[]): void {
  const types = graph.outputs.map((v) => v.type);
  if (outputs.length !== types.length)
    throw new ExecutionError(`[execute] graph '${graph.name}' has ${types.length} outputs, got ${outputs.length} tensors to write them into`);
  outputs.forEach((o, i) => {
    const want = concreteShape(types[i]!, env);
    if (o.dtype !== types[i]!.dtype || o.rank !== want.length || want.some((d, a) => o.shape[a] !== d))
      throw new ExecutionError(`[execute] output ${i} of graph '${graph.name}': expected ${types[i]!.dtype}${shapeToString(want)}, got ${o.dtype}${shapeToString(o.shape)}`);
    const j = inputs.findIndex((x) => overlaps(x, o));
    if (j >= 0) throw new ExecutionError(`[execute] output ${i} of graph '${graph.name}' shares memory with input ${j}; outputs must be separate tensors`);
    const k = outputs.findIndex((x, m) => m < i && overlaps(x, o));
    if (k >= 0) throw new ExecutionError(`[execute] outputs ${k} and ${i} of graph '${graph.name}' share memory`);
  });
}

function overlaps(a: AnyTensor, b: Tensor): boolean {
  if (isDeviceTensor(a) || a.data.buffer !== b.data.buffer) return false;  // device memory is not host memory
  const a0 = a.data.byteOffset, b0 = b.data.byteOffset;
  return a0 < b0 + b.data.byteLength && b0 < a0 + a.data.byteLength;
}

export function concreteShape(t: TensorType, env: Bindings): number[] {
  return t.shape.map((d) => evalDim(d, env));
}

/** Nodes that the outputs depend on, each node's last consumer index, and its consumers. */
function liveness(graph: Graph): { needed: boolean[]; lastUse: number[]; consumers: number[][] } {
  const needed = new Array<boolean>(graph.nodes.length).fill(false);
  for (const id of graph.outputNodeIds) needed[id] = true;
  for (let i = graph.nodes.length - 1; i >= 0; i--)
    if (needed[i]) for (const j of graph.nodes[i]!.inputs) needed[j] = true;
  const lastUse = new Array<number>(graph.nodes.length).fill(-1);
  const consumers = graph.nodes.map((): number[] => []);
  for (const n of graph.nodes)
    if (needed[n.id]) for (const j of n.inputs) { lastUse[j] = n.id; consumers[j]!.push(n.id); }
  for (const id of graph.outputNodeIds) lastUse[id] = Infinity;
  return { needed, lastUse, consumers };
}

/** Evaluate a graph once. For repeated runs keep an {@link Interpreter}. */
export function interpret(graph: Graph, inputs: readonly Tensor[], weights: ReadonlyMap<string, Tensor> = new Map()): Tensor[] {
  return new Interpreter(graph, weights).run(inputs);
}

/**
 * A graph bound to its weights for repeated runs. A node computed from weights and constants alone
 * (a weight's float64 form, its transpose) is static: the first run keeps each static value that
 * a non-static node reads, and later runs start from those, so a decoder step neither converts
 * nor transposes the embedding again. Every run returns what evaluating each node would; weights
 * are read once, by the first run.
 */
export class Interpreter {
  private readonly needed: boolean[];
  private readonly lastUse: number[];
  private readonly consumers: number[][];
  /** Which nodes are static; null until a first run has completed. */
  private isStatic: boolean[] | null = null;
  private readonly kept = new Map<number, NDArray>();

  constructor(readonly graph: Graph, private readonly weights: ReadonlyMap<string, Tensor> = new Map()) {
    ({ needed: this.needed, lastUse: this.lastUse, consumers: this.consumers } = liveness(graph));
  }

  run(inputs: readonly Tensor[]): Tensor[] {
    const { graph, needed, lastUse, consumers, kept } = this;
    const env = bindInputs(graph, inputs);
    const first = this.isStatic === null;
    const isStatic = this.isStatic ?? graph.nodes.map(() => false);
    const values = new Map<number, NDArray>();
    for (const node of graph.nodes) {
      const id = node.id;
      if (!needed[id]) continue;
      const k = kept.get(id);
      if (k) {
        values.set(id, k);
        isStatic[id] = true;
      } else if (!first && isStatic[id]) {
        continue; // it feeds only static nodes, and the ones that matter are kept
      } else if (first && node.op !== "input" && node.inputs.every((j) => isStatic[j]) && node.type.shape.every((d) => typeof d === "number")) {
        // Static unless its semantics read a symbol (slice bounds such as "past").
        let readsEnv = false;
        const probe = new Proxy(env, { get(t, s) { readsEnv = true; return t[s as string]; } });
        values.set(id, evalNode(graph, node, probe, inputs, this.weights, values));
        isStatic[id] = !readsEnv;
      } else {
        values.set(id, evalNode(graph, node, env, inputs, this.weights, values));
      }
      for (const j of node.inputs) {
        if (lastUse[j] !== id) continue;
        // By its last use every consumer of j has run, so whether a non-static one reads it is known.
        if (first && isStatic[j] && consumers[j]!.some((c) => !isStatic[c])) kept.set(j, values.get(j)!);
        values.delete(j);
      }
    }
    if (first) {
      for (const id of graph.outputNodeIds) if (isStatic[id]) kept.set(id, values.get(id)!);
      this.isStatic = isStatic;
    }
    return graph.outputNodeIds.map((id) => fromNDArray(values.get(id)!));
  }
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
  const def = getOp(node.op);
  let r: NDArray;
  try {
    r = def.reference(args, node.attrs as never, { dtype: node.type.dtype, shape, env });
  } catch (e) {
    const site = node.site ? ` (created at ${node.site})` : "";
    throw new ExecutionError(`[${node.op}] failed in the interpreter at node %${node.id}${site}: ${(e as Error).message}`);
  }
  // The inferred type and the reference semantics must agree on the result's size.
  const want = shape.reduce((a, b) => a * b, 1);
  if (r.data.length !== want)
    throw new ExecutionError(`[${node.op}] reference produced ${r.data.length} values at node %${node.id}, its type ${node.type} needs ${want}`);
  const dt = node.type.dtype;
  // Movement ops only rearrange already-rounded values (and may return an input's array as a
  // view, which must not be written), so only computed results are rounded.
  if (def.fusion !== "movement") roundInPlace(dt, r.data);
  return { dtype: dt, shape, data: r.data };
}

function roundInPlace(dt: DType, d: Float64Array): void {
  // f32 is the common case and Math.fround inlines; other dtypes go through the generic path.
  if (dt === "f32") for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i]!);
  else for (let i = 0; i < d.length; i++) d[i] = roundTo(dt, d[i]!);
}
