// Stable structural hash of a graph (sha256, hex): ops, operand ids, attributes, types,
// constants' bytes, inputs and outputs. Independent of object identity, of the graph's name
// and of call sites, so two graphs built the same way share a compile-cache key.

import { createHash } from "node:crypto";
import type { Graph } from "./graph.js";
import { type AttrJSON, encodeAttr } from "./serialize.js";

/** Bump when the hashed layout changes, so old cache entries stop matching. */
const HASH_VERSION = "mw-graph-hash/1";

export function hashGraph(g: Graph): string {
  const h = createHash("sha256");
  h.update(`${HASH_VERSION}\n`);
  for (const n of g.nodes) {
    // Each field is length-delimited by its JSON form, so no two layouts can collide by concatenation.
    h.update(JSON.stringify([n.op, n.inputs, stableAttrs(n.attrs, n.id), n.type.dtype, n.type.shape]));
    h.update("\n");
    const t = g.constants.get(n.id);
    if (t) {
      h.update(`data ${t.dtype} ${JSON.stringify(t.shape)} ${t.byteLength}\n`);
      h.update(t.bytes());
      h.update("\n");
    }
  }
  h.update(`inputs ${JSON.stringify(g.inputs.map((v) => v.id))}\n`);
  h.update(`outputs ${JSON.stringify(g.outputNodeIds)}\n`);
  return h.digest("hex");
}

/** Attributes as JSON with keys sorted at every level, so key insertion order does not matter. */
export function stableAttrs(attrs: Readonly<Record<string, unknown>>, id: number): string {
  return JSON.stringify(sortKeys(encodeAttr(attrs, `%${id}`)));
}

function sortKeys(v: AttrJSON): AttrJSON {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(sortKeys);
  const out: Record<string, AttrJSON> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
  return out;
}
