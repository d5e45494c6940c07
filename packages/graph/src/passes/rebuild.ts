// The rebuild helper every pass uses: walk the old graph in order and copy each node into a
// fresh graph through an old-id -> new-id mapping, letting a rule replace a node on the way.
// Keeps the graph's name, inputs (same order) and weight names, which compile relies on.

import { GraphError } from "../errors.js";
import { Graph, type Node, Value } from "../ir/graph.js";
import { getOp, type OpName } from "../ops/registry.js";
import type { Tensor } from "../tensor.js";
import type { TensorType } from "../tensor-type.js";

/** The graph under construction, with helpers to look at and append nodes. */
export class Builder {
  readonly out: Graph;
  constructor(readonly src: Graph) {
    this.out = Graph.detached(src.name);
  }

  node(id: number): Node {
    return this.out.nodes[id]!;
  }

  /** The constant's data when `id` is a constant node of the new graph. */
  constantOf(id: number): Tensor | undefined {
    return this.node(id).op === "constant" ? this.out.constants.get(id) : undefined;
  }

  /** Append a copy of `n` (its inputs already mapped to new ids). */
  copy(n: Node): number {
    const id = this.out.addRaw(n.op, n.inputs, n.attrs, n.type, n.site);
    if (n.op === "input") this.out.inputs.push(new Value(this.out, id));
    const data = n.op === "constant" ? this.src.constants.get(n.id) : undefined;
    if (data) this.out.constants.set(id, data);
    return id;
  }

  constant(t: Tensor, site?: string): number {
    const id = this.out.addRaw("constant", [], { type: t.type }, t.type, site);
    this.out.constants.set(id, t);
    return id;
  }

  /**
   * Append a new node, validating attrs with the op's schema and inferring its type. Returns
   * undefined when `expect` is given and the inferred type differs (the rewrite does not apply).
   */
  emit(op: string, inputs: readonly number[], attrs: Record<string, unknown>, expect?: TensorType, site?: string): number | undefined {
    const def = getOp(op);
    let parsed: Record<string, unknown>;
    let type: TensorType;
    try {
      parsed = def.attrs.parse(attrs) as Record<string, unknown>;
      type = def.infer(inputs.map((j) => this.node(j).type), parsed as never);
    } catch (e) {
      if (expect) return undefined;
      throw e;
    }
    if (expect && !type.equals(expect)) return undefined;
    return this.out.addRaw(op as OpName, inputs, parsed, type, site);
  }
}

/**
 * Given a node whose inputs are already new ids, return the new id that replaces it, or
 * undefined to copy it unchanged.
 */
export type RewriteRule = (node: Node, b: Builder) => number | undefined;

/** Copy `src` node by node through `rule`; outputs follow the mapping. */
export function rebuild(src: Graph, rule: RewriteRule = () => undefined, keep?: (n: Node) => boolean): Graph {
  const b = new Builder(src);
  const map = new Array<number>(src.nodes.length).fill(-1);
  for (const n of src.nodes) {
    if (keep && !keep(n)) continue;
    const inputs = n.inputs.map((j) => {
      const m = map[j]!;
      if (m < 0) throw new GraphError(`[rebuild] node %${n.id} (${n.op}) uses %${j}, which the pass dropped`);
      return m;
    });
    const mapped: Node = { ...n, inputs };
    // Graph inputs are never rewritten: the signature must survive every pass.
    map[n.id] = n.op === "input" ? b.copy(mapped) : rule(mapped, b) ?? b.copy(mapped);
  }
  b.out.setOutputIds(src.outputNodeIds.map((id) => {
    const m = map[id]!;
    if (m < 0) throw new GraphError(`[rebuild] output %${id} was dropped by the pass`);
    return m;
  }));
  // Input nodes are copied in id order; keep graph.inputs in signature (index) order regardless.
  b.out.inputs.sort((x, y) => (x.node.attrs.index as number) - (y.node.attrs.index as number));
  return b.out;
}
