// The SSA IR and its builder. A Graph is an ordered list of nodes (topological by
// construction); each node produces one value. Only `Graph.add` creates nodes, and it runs the
// op's shape/dtype inference at once, so a bad call fails where the user made it.

import type { Dim } from "../dim.js";
import { GraphError, userCallSite } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { TensorType } from "../tensor-type.js";
import { getOp, type OpName } from "../ops/registry.js";
import { printGraph } from "./printer.js";
import { type DotOptions, graphToDot } from "./dot.js";
import { type GraphJSON, graphFromJSON, graphToJSON } from "./serialize.js";
import { hashGraph } from "./hash.js";

export interface Node {
  readonly id: number;
  readonly op: OpName;
  readonly inputs: readonly number[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly type: TensorType;
  /** file:line of the user code that created the node, when known. */
  readonly site?: string;
}

/** A graph value: the output of one node. Ops are available as methods (see dsl/value.ts). */
export class Value {
  constructor(readonly graph: Graph, readonly id: number) {}
  get node(): Node {
    return this.graph.nodes[this.id]!;
  }
  get type(): TensorType {
    return this.node.type;
  }
  get shape(): readonly Dim[] {
    return this.node.type.shape;
  }
  get dtype() {
    return this.node.type.dtype;
  }
  get rank(): number {
    return this.node.type.shape.length;
  }
  toString(): string {
    return `%${this.id}: ${this.type}`;
  }
}

let currentGraphs: Graph[] = [];

/** The graph that ops without tensor operands (iota, constant) attach to. */
export function currentGraph(): Graph {
  const g = currentGraphs[currentGraphs.length - 1];
  if (!g) throw new GraphError("no current graph: create a Graph or call ops inside graph.build()");
  return g;
}

export class Graph {
  readonly name: string;
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  /** Data of `constant` nodes, by node id. */
  readonly constants = new Map<number, Tensor>();
  private outputIds: number[] = [];

  constructor(name: string, inputTypes: readonly TensorType[] = []) {
    this.name = name;
    for (const [i, t] of inputTypes.entries()) this.inputs.push(this.add("input", [], { index: i, type: t }));
    // The newest graph is current, as in MAX's `with Graph(...)`; build() scopes it explicitly.
    currentGraphs.push(this);
    if (currentGraphs.length > 64) currentGraphs = currentGraphs.slice(-32);
  }

  /** Run fn with this graph as the current graph; returns fn's result. */
  build<T>(fn: (g: Graph) => T): T {
    currentGraphs.push(this);
    try {
      return fn(this);
    } finally {
      const i = currentGraphs.lastIndexOf(this);
      if (i >= 0) currentGraphs.splice(i, 1);
    }
  }

  get outputs(): readonly Value[] {
    return this.outputIds.map((id) => new Value(this, id));
  }
  get outputNodeIds(): readonly number[] {
    return this.outputIds;
  }

  /** Declare the graph's results, in order. May be called once. */
  output(...values: Value[]): void {
    for (const v of values) this.checkOwn(v, "output");
    this.outputIds = values.map((v) => v.id);
  }

  /** A new input appended to the graph's signature. */
  addInput(type: TensorType): Value {
    const v = this.add("input", [], { index: this.inputs.length, type });
    this.inputs.push(v);
    return v;
  }

  constant(t: Tensor): Value {
    const v = this.add("constant", [], { type: t.type });
    this.constants.set(v.id, t);
    return v;
  }

  /** A named weight, bound to data at compile time (`compile(g, { weights })`). */
  weight(name: string, type: TensorType): Value {
    for (const n of this.nodes)
      if (n.op === "weight" && n.attrs.name === name) {
        if (!n.type.equals(type))
          throw new GraphError(`[weight] '${name}' declared twice with different types: ${n.type} and ${type}`);
        return new Value(this, n.id);
      }
    return this.add("weight", [], { name, type });
  }

  value(id: number): Value {
    if (!this.nodes[id]) throw new GraphError(`no node %${id} in graph '${this.name}'`);
    return new Value(this, id);
  }

  /**
   * Append a node after validating attributes and inferring its type. Errors carry the op, the
   * operand types and the user's call site.
   */
  add(op: OpName, inputs: readonly Value[], attrs: Record<string, unknown> = {}): Value {
    const def = getOp(op);
    for (const v of inputs) this.checkOwn(v, op);
    const site = userCallSite();
    let parsed: Record<string, unknown>;
    let type: TensorType;
    try {
      parsed = def.attrs.parse(attrs) as Record<string, unknown>;
      type = def.infer(inputs.map((v) => v.type), parsed as never);
    } catch (e) {
      throw withContext(e, op, inputs, site);
    }
    const node: Node = { id: this.nodes.length, op, inputs: inputs.map((v) => v.id), attrs: parsed, type, site };
    this.nodes.push(node);
    return new Value(this, node.id);
  }

  /** Low-level: append an already-typed node (used by passes that rebuild graphs). */
  addRaw(op: OpName, inputs: readonly number[], attrs: Readonly<Record<string, unknown>>, type: TensorType, site?: string): number {
    const node: Node = { id: this.nodes.length, op, inputs: [...inputs], attrs, type, site };
    this.nodes.push(node);
    return node.id;
  }

  setOutputIds(ids: readonly number[]): void {
    this.outputIds = [...ids];
  }

  /** Names and types of the weights the graph expects. */
  weights(): { name: string; type: TensorType }[] {
    return this.nodes.filter((n) => n.op === "weight").map((n) => ({ name: n.attrs.name as string, type: n.type }));
  }

  /** A graph that does not become the current graph (for passes and deserialisation). */
  static detached(name: string): Graph {
    const g = new Graph(name);
    const i = currentGraphs.lastIndexOf(g);
    if (i >= 0) currentGraphs.splice(i, 1);
    return g;
  }

  /** The IR as text, one node per line (see ir/printer.ts). */
  toString(): string {
    return printGraph(this);
  }

  /** Graphviz text; `groups` (node id -> group) colours fusion groups. */
  toDot(opts?: DotOptions): string {
    return graphToDot(this, opts);
  }

  /** A JSON-safe description (constants base64); `JSON.stringify(graph)` uses it. */
  toJSON(): GraphJSON {
    return graphToJSON(this);
  }

  static fromJSON(json: GraphJSON | string): Graph {
    return graphFromJSON(json);
  }

  /** Stable structural sha256 (hex), independent of the graph's name: the compile-cache key. */
  hash(): string {
    return hashGraph(this);
  }

  private checkOwn(v: Value, op: string): void {
    if (!(v instanceof Value)) throw new GraphError(`[${op}] expected a graph value, got ${describe(v)}`);
    if (v.graph !== this)
      throw new GraphError(`[${op}] value %${v.id} belongs to graph '${v.graph.name}', not '${this.name}'`);
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

/** Rewrap an inference error so it names the op, the operands and the call site. */
function withContext(e: unknown, op: string, inputs: readonly Value[], site: string | undefined): Error {
  if (!(e instanceof Error)) return new GraphError(`[${op}] ${String(e)}`);
  const operands = inputs.map((v) => `${v.type}`).join(", ");
  let msg = e.message.startsWith(`[${op}]`) ? e.message : `[${op}] ${e.message}`;
  if (e.name === "ZodError") msg = `[${op}] bad attributes: ${formatZod(e)}`;
  msg += ` (operands: ${operands || "none"})`;
  if (site) msg += ` at ${site}`;
  const Ctor = (e instanceof GraphError ? e.constructor : GraphError) as new (m: string) => Error;
  const out = new Ctor(msg);
  out.stack = `${out.name}: ${msg}`;
  return out;
}

function formatZod(e: Error): string {
  const issues = (e as unknown as { issues?: { path: (string | number)[]; message: string }[] }).issues;
  if (!issues) return e.message;
  return issues.map((i) => `${i.path.join(".") || "attrs"}: ${i.message}`).join("; ");
}
