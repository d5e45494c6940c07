// Source ops: graph inputs, constants and named weights. Their data comes from outside the
// node (execute arguments, Graph.constants, bound weights), so `reference` is never called.

import { z } from "zod";
import { TensorType } from "../tensor-type.js";
import { GraphError } from "../errors.js";
import type { OpDef } from "./types.js";

const typeAttr = z.instanceof(TensorType);

function source<A extends { type: TensorType }>(name: string, summary: string, signature: string, attrs: z.ZodType<A>): OpDef<A> {
  return {
    name, summary, signature, arity: 0, attrs, fusion: "source",
    infer: (_i, a) => a.type,
    reference() {
      throw new GraphError(`[${name}] has no reference semantics: its data comes from outside the graph`);
    },
    onnx() {
      throw new GraphError(`[${name}] is exported by the ONNX writer itself`);
    },
  };
}

export const input = source("input", "A graph input (declared by `new Graph(name, types)`).", "Graph(name, [types]).inputs[i]",
  z.object({ index: z.number().int().nonnegative(), type: typeAttr }).strict());
export const constant = source("constant", "A tensor baked into the graph.", "constant(tensor) / graph.constant(tensor)",
  z.object({ type: typeAttr }).strict());
export const weight = source("weight", "A named weight bound at compile time (`compile(g, { weights })`).", "graph.weight(name, type)",
  z.object({ name: z.string().min(1), type: typeAttr }).strict());
