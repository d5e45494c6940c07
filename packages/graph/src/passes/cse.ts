// eliminateCommonSubexpressions: structural CSE. Two nodes with the same op, operands,
// attributes and type compute the same value (every op is pure), so the later one is replaced
// by the earlier. Constants are merged by content; graph inputs are never merged.

import { createHash } from "node:crypto";
import type { Graph } from "../ir/graph.js";
import { stableAttrs } from "../ir/hash.js";
import { rebuild } from "./rebuild.js";

/** Constants up to this size are merged by content; larger ones only when they share storage. */
const CONTENT_KEY_BYTES = 1 << 16;

export function eliminateCommonSubexpressions(graph: Graph): Graph {
  const seen = new Map<string, number>();
  const storageIds = new Map<object, number>();
  return rebuild(graph, (n, b) => {
    let key = `${n.op}|${n.inputs.join(",")}|${stableAttrs(n.attrs, n.id)}|${n.type}`;
    if (n.op === "constant") {
      const t = graph.constants.get(n.id);
      if (!t) return undefined;
      // Hashing every large weight on every compile would cost more than the rare duplicate saves.
      if (t.byteLength <= CONTENT_KEY_BYTES) key += `|${createHash("sha256").update(t.bytes()).digest("hex")}`;
      else {
        if (!storageIds.has(t.data)) storageIds.set(t.data, storageIds.size);
        key += `|storage${storageIds.get(t.data)}`;
      }
    }
    const hit = seen.get(key);
    if (hit !== undefined) return hit;
    const id = b.copy(n);
    seen.set(key, id);
    return id;
  });
}
