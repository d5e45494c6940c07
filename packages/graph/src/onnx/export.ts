// ONNX export: turns a Graph into a serialized ModelProto (onnx-proto / protobufjs). Owns the
// naming, initializers, graph signature and symbolic-dim plumbing; the per-op node patterns live
// in each registry entry's `onnx` hook, which calls back into the OnnxEmitter implemented here.

import onnxProto from "onnx-proto";
import { type Dim, isSymbolName } from "../dim.js";
import type { DType } from "../dtype.js";
import { GraphError } from "../errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { getOp } from "../ops/registry.js";
import { bindWeights } from "../session.js";
import { Tensor } from "../tensor.js";
import type { TensorType } from "../tensor-type.js";
import type { OnnxAttr, OnnxEmitter } from "./emitter.js";

const { onnx } = onnxProto;

/**
 * Opset 18: the first where every Reduce* takes `axes` as an input and Split takes
 * `num_outputs`, so op entries have one way to write them; onnxruntime >= 1.14 runs it.
 */
export const ONNX_OPSET = 18;
/** IR version 8 is what opset 18 models are stamped with by the ONNX tools. */
export const ONNX_IR_VERSION = 8;

export const ONNX_DTYPE: Record<DType, number> = { f32: 1, f16: 10, bf16: 16, i32: 6, i64: 7, bool: 9 };

export type WeightMap = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface OnnxExportOptions {
  /** Data for named weights, stored as initializers. Without it, weights become graph inputs. */
  weights?: WeightMap;
  /** Model producer string (default "max-whisper"). */
  producer?: string;
}

type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type ValueInfoProto = InstanceType<typeof onnx.ValueInfoProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/** A graph value's ONNX signature entry; dims that are symbols or expressions become dim_params. */
function valueInfo(name: string, t: TensorType): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[t.dtype],
        shape: { dim: t.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function tensorProto(name: string, t: Tensor): TensorProto {
  // Copy: raw_data must not alias a tensor the caller may mutate before encoding.
  return onnx.TensorProto.create({ name, dims: [...t.shape], dataType: ONNX_DTYPE[t.dtype], rawData: t.bytes().slice() });
}

function attribute(name: string, v: OnnxAttr): AttributeProto {
  const a = onnx.AttributeProto.create({ name });
  if (typeof v === "number") {
    // Plain numbers: integers are INT, others FLOAT; `{ float }` forces FLOAT for whole values.
    if (Number.isInteger(v)) Object.assign(a, { type: AT.INT, i: v });
    else Object.assign(a, { type: AT.FLOAT, f: v });
  } else if (typeof v === "string") Object.assign(a, { type: AT.STRING, s: utf8.encode(v) });
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) Object.assign(a, { type: AT.STRINGS, strings: (v as string[]).map((s) => utf8.encode(s)) });
    else if ((v as number[]).every((x) => Number.isInteger(x))) Object.assign(a, { type: AT.INTS, ints: v });
    else Object.assign(a, { type: AT.FLOATS, floats: v });
  } else if ("tensor" in v) Object.assign(a, { type: AT.TENSOR, t: tensorProto("", v.tensor) });
  else if ("float" in v) Object.assign(a, { type: AT.FLOAT, f: v.float });
  else if ("floats" in v) Object.assign(a, { type: AT.FLOATS, floats: v.floats });
  else throw new GraphError(`[onnx] attribute '${name}': unsupported value ${JSON.stringify(v)}`);
  return a;
}

/** Terms of a canonical dim expression ("2*a*b-c+3"): [coefficient, symbols] pairs. */
function dimTerms(d: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  for (const raw of d.replace(/\s+/g, "").match(/[+-]?[^+-]+/g) ?? []) {
    let coef = raw[0] === "-" ? -1 : 1;
    const syms: string[] = [];
    for (const f of raw.replace(/^[+-]/, "").split("*")) {
      if (/^\d+$/.test(f)) coef *= Number(f);
      else syms.push(f);
    }
    out.push([coef, syms]);
  }
  return out;
}

/**
 * Builds one ModelProto. `emitGraph()` translates the graph; `addOutput` lets tests expose
 * extra values (e.g. a `dimValue`) as outputs; `toBytes()` serializes.
 */
export class OnnxModelBuilder implements OnnxEmitter {
  readonly opset = ONNX_OPSET;
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly cache = new Map<string, string>();
  /** ONNX name of each IR node's value. */
  private readonly names = new Map<number, string>();
  /** Where each symbol can be read at run time: [ONNX value name, axis]. */
  private readonly symbolSources = new Map<string, [string, number]>();
  /** Prefix for node names, so `n12_Mul` traces back to IR node %12. */
  private prefix = "g";

  constructor(readonly graph: Graph, private readonly weights?: ReadonlyMap<string, Tensor>) {}

  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  node(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}): string {
    return this.nodeMulti(opType, inputs, 1, attrs)[0]!;
  }

  nodeMulti(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, OnnxAttr> = {}): string[] {
    const name = this.fresh(`${this.prefix}_${opType}`);
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? `${name}_out` : `${name}_out${i}`));
    this.nodes.push(onnx.NodeProto.create({
      name, opType, input: [...inputs], output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    }));
    return outs;
  }

  initializer(t: Tensor, base = "const"): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, t));
    return name;
  }

  /** Small constants are shared: the same values give the same initializer. */
  private cached(key: string, make: () => string): string {
    let name = this.cache.get(key);
    if (name === undefined) this.cache.set(key, (name = make()));
    return name;
  }

  i64(values: readonly number[]): string {
    for (const v of values)
      if (!Number.isSafeInteger(v)) throw new GraphError(`[onnx] i64 initializer: expected integers, got ${v}`);
    return this.cached(`i64:${values.join(",")}`, () => this.initializer(Tensor.fromArray("i64", [values.length], values), "i64"));
  }

  scalar(dtype: DType, v: number): string {
    return this.cached(`scalar:${dtype}:${Object.is(v, -0) ? "-0" : v}`, () => this.initializer(Tensor.scalar(dtype, v), `${dtype}_scalar`));
  }

  dimValue(d: Dim): string {
    if (typeof d === "number") return this.i64([d]);
    return this.cached(`dim:${d}`, () => {
      // A dim that some input declares verbatim (e.g. "past+1") is read directly.
      const direct = this.symbolSources.get(d);
      if (direct) return this.readDim(direct);
      if (isSymbolName(d)) throw this.unbound(d);
      let sum: string | undefined;
      for (const [coef, syms] of dimTerms(d)) {
        let term: string | undefined = coef === 1 && syms.length > 0 ? undefined : this.i64([coef]);
        for (const s of syms) {
          const v = this.dimValue(s);
          term = term === undefined ? v : this.node("Mul", [term, v]);
        }
        sum = sum === undefined ? term! : this.node("Add", [sum, term!]);
      }
      return sum!;
    });
  }

  private readDim([value, axis]: [string, number]): string {
    return this.node("Shape", [value], { start: axis, end: axis + 1 });
  }

  private unbound(d: string): GraphError {
    const known = [...this.symbolSources.keys()];
    return new GraphError(`[onnx] symbolic dim '${d}' is not a dim of any graph input: expected one of ${known.length ? known.join(", ") : "(none)"}`);
  }

  private declareSymbols(name: string, t: TensorType): void {
    t.shape.forEach((d, axis) => {
      if (typeof d === "string" && !this.symbolSources.has(d)) this.symbolSources.set(d, [name, axis]);
    });
  }

  /** Translate the whole graph: signature, initializers, one hook call per live node, outputs. */
  emitGraph(): this {
    const g = this.graph;
    // Signature names first, so no weight or internal value can take them.
    const outNames = g.outputNodeIds.map((_, i) => this.fresh(`output_${i}`));
    g.inputs.forEach((v, i) => {
      const name = this.fresh(`input_${i}`);
      this.names.set(v.id, name);
      this.inputs.push(valueInfo(name, v.type));
      this.declareSymbols(name, v.type);
    });
    const live = liveNodes(g);
    for (const n of g.nodes) {
      if (!live[n.id] || n.op === "input") continue;
      if (n.op === "constant") this.names.set(n.id, this.initializer(g.constants.get(n.id)!, `const_${n.id}`));
      else if (n.op === "weight") this.names.set(n.id, this.emitWeight(n));
    }
    for (const n of g.nodes) {
      if (!live[n.id] || n.op === "input" || n.op === "constant" || n.op === "weight") continue;
      this.names.set(n.id, this.emitNode(n));
    }
    g.outputNodeIds.forEach((id, i) => this.addOutput(outNames[i]!, this.names.get(id)!, g.nodes[id]!.type, true));
    return this;
  }

  private emitWeight(n: Node): string {
    const name = n.attrs.name as string;
    if (this.weights) return this.initializer(this.weights.get(name)!, name);
    // Unbound weights are graph inputs, so one exported model serves many checkpoints.
    const vname = this.fresh(name);
    this.inputs.push(valueInfo(vname, n.type));
    this.declareSymbols(vname, n.type);
    return vname;
  }

  private emitNode(n: Node): string {
    const def = getOp(n.op);
    const types = { inputs: n.inputs.map((j) => this.graph.nodes[j]!.type), output: n.type };
    const inputs = n.inputs.map((j) => this.names.get(j)!);
    this.prefix = `n${n.id}`;
    try {
      return def.onnx(this, inputs, n.attrs as never, types);
    } catch (e) {
      const operands = types.inputs.map(String).join(", ");
      throw new GraphError(`[onnx] exporting ${n.op} (node %${n.id}, operands ${operands || "none"}) failed: ${(e as Error).message}`);
    } finally {
      this.prefix = "g";
    }
  }

  /** Expose an ONNX value as a graph output (through Identity, so names stay stable). */
  addOutput(name: string, value: string, t: TensorType, reserved = false): void {
    const out = reserved ? name : this.fresh(name);
    this.nodes.push(onnx.NodeProto.create({ name: this.fresh(`${out}_identity`), opType: "Identity", input: [value], output: [out] }));
    this.outputs.push(valueInfo(out, t));
  }

  toBytes(producer = "max-whisper"): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      producerName: producer,
      opsetImport: [{ domain: "", version: this.opset }],
      graph: {
        name: this.graph.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function liveNodes(g: Graph): boolean[] {
  const live = new Array<boolean>(g.nodes.length).fill(false);
  for (const id of g.outputNodeIds) live[id] = true;
  for (let i = g.nodes.length - 1; i >= 0; i--) if (live[i]) for (const j of g.nodes[i]!.inputs) live[j] = true;
  return live;
}

/**
 * Export a graph as an ONNX model (opset {@link ONNX_OPSET}). Inputs are `input_<i>`, outputs
 * `output_<i>`; symbolic dims (including expressions like "past+1") become dim_params.
 * Weights are initializers when `weights` is given, otherwise graph inputs named after them.
 */
export function exportONNX(graph: Graph, options: OnnxExportOptions = {}): Uint8Array {
  if (graph.outputNodeIds.length === 0)
    throw new GraphError(`[onnx] graph '${graph.name}' has no outputs: call graph.output(...) before exporting`);
  let weights: Map<string, Tensor> | undefined;
  if (options.weights) {
    try {
      weights = bindWeights(graph, options.weights);
    } catch (e) {
      throw new GraphError((e as Error).message.replace("[compile]", "[onnx]"));
    }
  }
  return new OnnxModelBuilder(graph, weights).emitGraph().toBytes(options.producer);
}
