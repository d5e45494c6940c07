// The IR text printer: MLIR-like, one node per line, e.g.
//   %5 = layer_norm(%3, %4, %2) {epsilon: 1e-05} : f32[batch, 1500, 384]
// Deterministic (same graph, same text), so printouts can be diffed between passes.

import { type DType, isFloat, readElement, roundTo } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { TensorType } from "../tensor-type.js";
import type { Graph, Node } from "./graph.js";

/** Constants up to this many elements print in full; larger ones print a prefix. */
const CONST_PREVIEW = 8;

export function printGraph(g: Graph): string {
  const ins = g.inputs.map((v) => `%${v.id}: ${v.type}`).join(", ");
  const outs = g.outputNodeIds.map((id) => `${g.nodes[id]?.type ?? "?"}`).join(", ");
  const lines = [`graph @${g.name}(${ins}) -> (${outs}) {`];
  const weights = g.nodes.filter((n) => n.op === "weight");
  if (weights.length) lines.push(`  // weights: ${weights.map((n) => `${JSON.stringify(n.attrs.name)} = %${n.id}`).join(", ")}`);
  for (const n of g.nodes) lines.push(`  ${printNode(n, g.constants.get(n.id))}`);
  lines.push(`  return ${g.outputNodeIds.map((id) => `%${id}`).join(", ")}`, "}");
  return lines.join("\n");
}

export function printNode(n: Node, data?: Tensor): string {
  // Source ops carry their type as an attribute; it is already printed after the colon.
  const attrs = Object.entries(n.attrs).filter(([k, v]) => v !== undefined && !(k === "type" && v instanceof TensorType));
  const args = n.inputs.length ? `(${n.inputs.map((j) => `%${j}`).join(", ")})` : "";
  let body = `%${n.id} = ${n.op}${args}`;
  if (n.op === "constant" && data) body += ` ${printTensor(data)}`;
  if (attrs.length) body += ` {${attrs.map(([k, v]) => `${k}: ${printAttr(v)}`).join(", ")}}`;
  return `${body} : ${n.type}`;
}

export function printAttr(v: unknown): string {
  if (v instanceof TensorType) return v.toString();
  if (typeof v === "number") return printNumber(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `[${v.map(printAttr).join(", ")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${k}: ${printAttr(x)}`).join(", ")}}`;
  return String(v);
}

/**
 * The shortest decimal that reads back to the same value in `dtype` (0.1, not 0.100000001),
 * with Python-style two-digit exponents (1e-05) as in PyTorch printouts.
 */
function printNumber(v: number, dtype?: DType): string {
  if (Object.is(v, -0)) return "-0";
  let s = String(v);
  if (!Number.isInteger(v) && Number.isFinite(v))
    for (let p = 1; p <= 17; p++) {
      const c = Number(v.toPrecision(p));
      if (c === v || (dtype !== undefined && isFloat(dtype) && roundTo(dtype, c) === v)) {
        s = String(c);
        break;
      }
    }
  // Python (and PyTorch) switch to exponents below 1e-4; JS only below 1e-6.
  if (Math.abs(v) < 1e-4 && v !== 0 && !s.includes("e")) s = Number(s).toExponential();
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function printTensor(t: Tensor): string {
  const n = Math.min(t.size, CONST_PREVIEW);
  const vals: string[] = [];
  for (let i = 0; i < n; i++) vals.push(printNumber(readElement(t.dtype, t.data, i), t.dtype));
  if (t.size > n) vals.push(`… ${t.size - n} more`);
  return t.rank === 0 ? `dense<${vals[0]}>` : `dense<[${vals.join(", ")}]>`;
}
