// The default pass pipeline run by compile() before a backend sees the graph:
// verify · canonicalize · fold constants · canonicalize · CSE · DCE. Each pass is pure; the
// caller's graph is never changed, and inputs and weight names survive every pass.

import type { Graph } from "../ir/graph.js";
import { verify } from "../ir/verify.js";
import { canonicalize } from "./canonicalize.js";
import { foldConstants } from "./const-fold.js";
import { eliminateCommonSubexpressions } from "./cse.js";
import { eliminateDeadCode } from "./dce.js";
import { type Pass, PassManager, type PassStat } from "./pass-manager.js";

export interface PipelineOptions {
  /** Dump the IR after each pass and the timings: true for stderr, or a sink. Default DEBUG>=2. */
  dump?: boolean | ((text: string) => void);
  /** Verify after every pass (default: DEBUG>=1 or under vitest). The input is always verified. */
  verify?: boolean;
  /** Largest constant (elements) that folding may create (default 65536). */
  maxFoldElements?: number;
  /** Run these passes (by name, see PASSES) instead of the default list. */
  passes?: readonly PassName[];
  /** Receives each pass's timing and node counts. */
  onStats?: (stats: PassStat[]) => void;
}

export type PassName = "canonicalize" | "const-fold" | "cse" | "dce";

export function makePass(name: PassName, opts: PipelineOptions = {}): Pass {
  switch (name) {
    case "canonicalize": return { name, run: canonicalize };
    case "const-fold": return { name, run: (g) => foldConstants(g, { maxElements: opts.maxFoldElements }) };
    case "cse": return { name, run: eliminateCommonSubexpressions };
    case "dce": return { name, run: eliminateDeadCode };
  }
}

export const DEFAULT_PIPELINE: readonly PassName[] = ["canonicalize", "const-fold", "canonicalize", "cse", "dce"];

export function optimize(graph: Graph, opts: PipelineOptions = {}): Graph {
  // A malformed graph fails here, naming the node, rather than deep inside a pass or kernel.
  verify(graph, "input");
  const pm = new PassManager((opts.passes ?? DEFAULT_PIPELINE).map((n) => makePass(n, opts)), { verify: opts.verify, dump: opts.dump });
  const { graph: out, stats } = pm.run(graph);
  opts.onStats?.(stats);
  return out;
}
