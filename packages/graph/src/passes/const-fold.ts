// foldConstants: evaluate nodes whose operands are all constants, with exactly the reference
// interpreter's semantics (registry `reference`, then rounding to the output dtype), and
// replace them by constants. A size cap keeps large tensors from being materialised needlessly.

import { roundTo } from "../dtype.js";
import type { Graph, Node } from "../ir/graph.js";
import { fromNDArray, toNDArray } from "../interp/interp.js";
import { getOp } from "../ops/registry.js";
import { type Builder, rebuild } from "./rebuild.js";

export interface ConstFoldOptions {
  /** Largest result (elements) that is folded; bigger ones stay as nodes (default 65536). */
  maxElements?: number;
}

export const DEFAULT_MAX_FOLD_ELEMENTS = 1 << 16;

export function foldConstants(graph: Graph, opts: ConstFoldOptions = {}): Graph {
  const cap = opts.maxElements ?? DEFAULT_MAX_FOLD_ELEMENTS;
  return rebuild(graph, (n, b) => foldNode(n, b, cap));
}

function foldNode(n: Node, b: Builder, cap: number): number | undefined {
  const def = getOp(n.op);
  if (def.fusion === "source") return undefined;
  const args = n.inputs.map((j) => b.constantOf(j));
  if (args.some((t) => t === undefined)) return undefined;
  // Symbolic output dims cannot be evaluated without bindings.
  if (!n.type.shape.every((d): d is number => typeof d === "number")) return undefined;
  const shape = n.type.shape as number[];
  const size = shape.reduce((p, d) => p * d, 1);
  if (size > cap) return undefined;
  let data: Float64Array;
  try {
    data = def.reference(args.map((t) => toNDArray(t!)), n.attrs as never, { dtype: n.type.dtype, shape }).data;
  } catch {
    // NOTE: not hiding the error: the node stays, so the interpreter (or backend) reports it at
    // execution exactly as it would have without this pass.
    return undefined;
  }
  if (data.length !== size) return undefined;
  const dt = n.type.dtype;
  const rounded = new Float64Array(size);
  for (let i = 0; i < size; i++) rounded[i] = roundTo(dt, data[i]!);
  return b.constant(fromNDArray({ dtype: dt, shape, data: rounded }), n.site);
}
