// The default pass pipeline run by compile() before a backend sees the graph.
// TODO(passes): verify · canonicalize · fold constants · CSE · DCE, with dumps and timings.

import type { Graph } from "../ir/graph.js";

export interface PipelineOptions {
  dump?: boolean;
}

export function optimize(graph: Graph, _opts: PipelineOptions = {}): Graph {
  return graph;
}
