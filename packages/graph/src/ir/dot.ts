// Graphviz (dot) text of a graph. Node colour follows the op's fusion class, or the fusion
// group when `groups` is given (the fusion pass supplies it); groups also become clusters.

import { getOp } from "../ops/registry.js";
import type { FusionClass } from "../ops/types.js";
import type { Graph } from "./graph.js";

export interface DotOptions {
  /** node id -> fusion group id; grouped nodes share a colour and a cluster box. */
  groups?: ReadonlyMap<number, number | string>;
  /** Print each node's type under its op (default true). */
  types?: boolean;
  /** Draw nodes that do not reach an output (default true; they are greyed). */
  dead?: boolean;
}

const CLASS_COLOUR: Record<FusionClass, string> = {
  source: "#e8eef7", elementwise: "#e3f4e1", reduction: "#fdf0d5", contraction: "#fbe0e0",
  movement: "#ece4f5", opaque: "#eeeeee",
};
// A qualitative palette (ColorBrewer Set3-like), cycled for groups.
const GROUP_COLOURS = [
  "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
  "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
];

export function graphToDot(g: Graph, opts: DotOptions = {}): string {
  const showTypes = opts.types ?? true;
  const live = liveNodes(g);
  const groupIds = opts.groups ? [...new Set(opts.groups.values())] : [];
  const colourOf = new Map(groupIds.map((gid, i) => [gid, GROUP_COLOURS[i % GROUP_COLOURS.length]!]));
  const out = [
    `digraph ${quote(g.name)} {`,
    `  rankdir=TB;`,
    `  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];`,
    `  edge [fontname="Helvetica", fontsize=8, color="#555555"];`,
  ];
  const line = (id: number): string | undefined => {
    const n = g.nodes[id]!;
    if (!live[id] && opts.dead === false) return undefined;
    let label = `%${id} ${n.op}`;
    if (n.op === "weight") label += ` "${String(n.attrs.name)}"`;
    if (n.op === "input") label += ` ${String(n.attrs.index)}`;
    if (showTypes) label += `\n${n.type}`;
    const group = opts.groups?.get(id);
    const fill = group !== undefined ? colourOf.get(group)! : CLASS_COLOUR[getOp(n.op).fusion];
    const attrs = [`label=${quote(label)}`, `fillcolor=${quote(fill)}`];
    if (getOp(n.op).fusion === "source") attrs.push("shape=ellipse");
    if (!live[id]) attrs.push(`fontcolor="#999999"`, `style="rounded,filled,dashed"`);
    return `n${id} [${attrs.join(", ")}];`;
  };
  const grouped = new Set<number>();
  for (const gid of groupIds) {
    const members = g.nodes.filter((n) => opts.groups!.get(n.id) === gid).map((n) => n.id);
    out.push(`  subgraph ${quote(`cluster_${gid}`)} {`, `    label=${quote(`group ${gid}`)}; style=dashed; color="#888888";`);
    for (const id of members) {
      const l = line(id);
      if (l) out.push(`    ${l}`);
      grouped.add(id);
    }
    out.push("  }");
  }
  for (const n of g.nodes) {
    if (grouped.has(n.id)) continue;
    const l = line(n.id);
    if (l) out.push(`  ${l}`);
  }
  for (const n of g.nodes) {
    if (!live[n.id] && opts.dead === false) continue;
    n.inputs.forEach((j, k) => out.push(`  n${j} -> n${n.id}${n.inputs.length > 1 ? ` [label="${k}"]` : ""};`));
  }
  g.outputNodeIds.forEach((id, k) => {
    out.push(`  out${k} [label=${quote(`output ${k}`)}, shape=plaintext, style=""];`, `  n${id} -> out${k};`);
  });
  out.push("}");
  return out.join("\n");
}

function liveNodes(g: Graph): boolean[] {
  const live = new Array<boolean>(g.nodes.length).fill(false);
  for (const id of g.outputNodeIds) live[id] = true;
  for (const v of g.inputs) live[v.id] = true;
  for (let i = g.nodes.length - 1; i >= 0; i--) if (live[i]) for (const j of g.nodes[i]!.inputs) live[j] = true;
  return live;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
