// JSON round trip of a Graph: nodes, typed attributes, constants (base64 little-endian bytes),
// inputs and outputs. Also owns the attribute encoding that the printer and hash reuse, so
// every view of an attribute agrees. Decoding runs verify(), so corrupt JSON fails loudly.

import { type DType, isDType } from "../dtype.js";
import type { Dim } from "../dim.js";
import { GraphError } from "../errors.js";
import { isOpName } from "../ops/registry.js";
import { Tensor } from "../tensor.js";
import { TensorType } from "../tensor-type.js";
import { Graph, Value } from "./graph.js";
import { verify } from "./verify.js";

export const GRAPH_JSON_FORMAT = "max-whisper-graph";
export const GRAPH_JSON_VERSION = 1;

/** An attribute value in JSON: plain JSON, or a tagged object for what JSON cannot hold. */
export type AttrJSON =
  | null | boolean | number | string
  | AttrJSON[]
  | { [k: string]: AttrJSON };

export interface TypeJSON {
  dtype: DType;
  shape: Dim[];
}

export interface NodeJSON {
  op: string;
  inputs: number[];
  attrs: Record<string, AttrJSON>;
  type: TypeJSON;
  site?: string;
}

export interface ConstantJSON {
  dtype: DType;
  shape: number[];
  /** base64 of the tensor's little-endian storage bytes. */
  data: string;
}

export interface GraphJSON {
  format: typeof GRAPH_JSON_FORMAT;
  version: number;
  name: string;
  nodes: NodeJSON[];
  inputs: number[];
  outputs: number[];
  constants: Record<string, ConstantJSON>;
}

// Tag keys start with "$" so they cannot collide with real attribute names.
const TAG_TYPE = "$tensor_type";
const TAG_NUM = "$number";
const TAG_BIGINT = "$bigint";

/**
 * Encode one attribute value as JSON. TensorTypes, non-finite numbers, -0 and bigints get tags;
 * anything else that is not plain data is refused, naming the attribute.
 */
export function encodeAttr(v: unknown, path: string): AttrJSON {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (Number.isFinite(v) && !Object.is(v, -0)) return v;
    return { [TAG_NUM]: Object.is(v, -0) ? "-0" : String(v) };
  }
  if (typeof v === "bigint") return { [TAG_BIGINT]: v.toString() };
  if (v instanceof TensorType) return { [TAG_TYPE]: typeToJSON(v) as unknown as AttrJSON };
  if (Array.isArray(v)) return v.map((x, i) => encodeAttr(x, `${path}[${i}]`));
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, AttrJSON> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = encodeAttr(x, `${path}.${k}`);
    return out;
  }
  throw new GraphError(`[serialize] attribute ${path} cannot be encoded: expected plain data or a TensorType, got ${describe(v)}`);
}

export function decodeAttr(v: AttrJSON, path: string): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x, i) => decodeAttr(x, `${path}[${i}]`));
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const x = v[k]!;
    if (k === TAG_TYPE) return typeFromJSON(x as unknown as TypeJSON, path);
    if (k === TAG_NUM) return x === "-0" ? -0 : Number(x);
    if (k === TAG_BIGINT) return BigInt(x as string);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = decodeAttr(v[k]!, `${path}.${k}`);
  return out;
}

export function typeToJSON(t: TensorType): TypeJSON {
  return { dtype: t.dtype, shape: [...t.shape] };
}

function typeFromJSON(t: TypeJSON, path: string): TensorType {
  if (!t || !isDType(t.dtype) || !Array.isArray(t.shape))
    throw new GraphError(`[fromJSON] ${path}: expected a tensor type {dtype, shape}, got ${JSON.stringify(t)}`);
  return new TensorType(t.dtype, t.shape);
}

export function graphToJSON(g: Graph): GraphJSON {
  const nodes = g.nodes.map((n): NodeJSON => {
    const attrs: Record<string, AttrJSON> = {};
    for (const [k, v] of Object.entries(n.attrs)) if (v !== undefined) attrs[k] = encodeAttr(v, `%${n.id}.${k}`);
    const out: NodeJSON = { op: n.op, inputs: [...n.inputs], attrs, type: typeToJSON(n.type) };
    if (n.site !== undefined) out.site = n.site;
    return out;
  });
  const constants: Record<string, ConstantJSON> = {};
  for (const [id, t] of [...g.constants].sort((a, b) => a[0] - b[0]))
    constants[String(id)] = { dtype: t.dtype, shape: [...t.shape], data: Buffer.from(t.bytes()).toString("base64") };
  return {
    format: GRAPH_JSON_FORMAT, version: GRAPH_JSON_VERSION, name: g.name, nodes,
    inputs: g.inputs.map((v) => v.id), outputs: [...g.outputNodeIds], constants,
  };
}

/** Rebuild a graph from `graphToJSON` output (object or JSON text); the result is verified. */
export function graphFromJSON(json: GraphJSON | string): Graph {
  const j = (typeof json === "string" ? JSON.parse(json) : json) as GraphJSON;
  if (!j || j.format !== GRAPH_JSON_FORMAT)
    throw new GraphError(`[fromJSON] not a graph: expected format '${GRAPH_JSON_FORMAT}', got ${JSON.stringify(j?.format)}`);
  if (j.version !== GRAPH_JSON_VERSION)
    throw new GraphError(`[fromJSON] unsupported version: expected ${GRAPH_JSON_VERSION}, got ${j.version}`);
  const g = Graph.detached(String(j.name));
  for (const [i, n] of j.nodes.entries()) {
    if (!isOpName(n.op)) throw new GraphError(`[fromJSON] unknown op: expected a registered op, got '${n.op}' (node %${i})`);
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.attrs ?? {})) attrs[k] = decodeAttr(v, `%${i}.${k}`);
    g.addRaw(n.op, n.inputs, attrs, typeFromJSON(n.type, `%${i}.type`), n.site);
  }
  for (const [key, c] of Object.entries(j.constants ?? {})) {
    const id = Number(key);
    if (!isDType(c.dtype)) throw new GraphError(`[fromJSON] constant %${key}: expected a dtype, got '${c.dtype}'`);
    g.constants.set(id, Tensor.fromBytes(c.dtype, c.shape, new Uint8Array(Buffer.from(c.data, "base64"))));
  }
  for (const id of j.inputs) g.inputs.push(new Value(g, id));
  g.setOutputIds(j.outputs);
  verify(g, "fromJSON");
  return g;
}

function describe(x: unknown): string {
  if (typeof x === "object" && x !== null) return (x as object).constructor?.name ?? "object";
  return typeof x;
}
