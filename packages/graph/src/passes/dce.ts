// eliminateDeadCode: drop nodes that no output depends on. Graph inputs always stay (they are
// the signature); unused weights and constants go, which is safe because compile binds
// weights by name and a backend only looks up the names the graph still has.

import type { Graph } from "../ir/graph.js";
import { rebuild } from "./rebuild.js";

export function eliminateDeadCode(graph: Graph): Graph {
  const live = new Array<boolean>(graph.nodes.length).fill(false);
  for (const id of graph.outputNodeIds) live[id] = true;
  for (const v of graph.inputs) live[v.id] = true;
  for (let i = graph.nodes.length - 1; i >= 0; i--) if (live[i]) for (const j of graph.nodes[i]!.inputs) live[j] = true;
  return rebuild(graph, undefined, (n) => live[n.id]!);
}
