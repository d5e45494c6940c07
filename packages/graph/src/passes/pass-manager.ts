// PassManager: runs a list of passes in order, optionally verifying the graph after each one,
// dumping the IR and timing every pass. Debug output goes to process.stderr only when asked
// (the `dump` option or DEBUG>=2); nothing is printed otherwise.

import { performance } from "node:perf_hooks";
import type { Graph } from "../ir/graph.js";
import { verify } from "../ir/verify.js";

export interface Pass {
  readonly name: string;
  run(graph: Graph): Graph;
}

export interface PassStat {
  readonly pass: string;
  readonly ms: number;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
}

export interface PassManagerOptions {
  /** Verify the input and the result of every pass (default: on under DEBUG>=1 or vitest). */
  verify?: boolean;
  /**
   * Dump the IR before the first pass and after each pass, plus a timing table: `true` writes
   * to stderr, a function receives the text. Default: on when DEBUG>=2.
   */
  dump?: boolean | ((text: string) => void);
}

/** The numeric DEBUG level (DEBUG=2, DEBUG=1); non-numeric values count as 1. */
export function debugLevel(): number {
  const v = process.env.DEBUG;
  if (!v) return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : 1;
}

export class PassManager {
  readonly passes: readonly Pass[];
  private readonly verifyEach: boolean;
  private readonly sink: ((text: string) => void) | undefined;

  constructor(passes: readonly Pass[], opts: PassManagerOptions = {}) {
    this.passes = passes;
    this.verifyEach = opts.verify ?? (debugLevel() >= 1 || process.env.VITEST !== undefined);
    const dump = opts.dump ?? debugLevel() >= 2;
    this.sink = typeof dump === "function" ? dump : dump ? (t) => void process.stderr.write(`${t}\n`) : undefined;
  }

  run(graph: Graph): { graph: Graph; stats: PassStat[] } {
    const stats: PassStat[] = [];
    if (this.verifyEach) verify(graph, "input");
    this.sink?.(`// ----- IR before passes (${graph.nodes.length} nodes)\n${graph}`);
    let g = graph;
    for (const p of this.passes) {
      const t0 = performance.now();
      const next = p.run(g);
      const ms = performance.now() - t0;
      if (this.verifyEach) verify(next, p.name);
      stats.push({ pass: p.name, ms, nodesBefore: g.nodes.length, nodesAfter: next.nodes.length });
      this.sink?.(`// ----- IR after ${p.name} (${ms.toFixed(2)} ms, ${g.nodes.length} -> ${next.nodes.length} nodes)\n${next}`);
      g = next;
    }
    this.sink?.(formatStats(stats));
    return { graph: g, stats };
  }
}

export function formatStats(stats: readonly PassStat[]): string {
  const w = Math.max(4, ...stats.map((s) => s.pass.length));
  const rows = stats.map((s) => `${s.pass.padEnd(w)}  ${s.ms.toFixed(2).padStart(9)} ms  ${String(s.nodesBefore).padStart(6)} -> ${s.nodesAfter}`);
  const total = stats.reduce((a, s) => a + s.ms, 0);
  return [`// pass timings`, ...rows, `${"total".padEnd(w)}  ${total.toFixed(2).padStart(9)} ms`].join("\n");
}
