// toDot: Graphviz text with one node statement per node, edges by operand, outputs, and
// fusion groups as coloured clusters.

import { describe, expect, it } from "vitest";
import { Graph, TensorType, ops, type Value } from "../index.js";

function sample(): Graph {
  const g = new Graph('my "net"', [new TensorType("f32", ["batch", 4])]);
  const [x] = g.inputs as [Value];
  const w = g.weight('w"q', new TensorType("f32", [4, 4]));
  const h = ops.exp(ops.matmul(x, w));
  ops.neg(h); // dead
  g.output(ops.softmax(ops.add(h, x)));
  return g;
}

describe("toDot", () => {
  it("has a node per IR node, an edge per operand and the outputs", () => {
    const dot = sample().toDot();
    expect(dot.startsWith('digraph "my \\"net\\"" {')).toBe(true);
    expect(dot.trimEnd().endsWith("}")).toBe(true);
    expect(dot.match(/^ {2}n\d+ \[/gm)).toHaveLength(7);
    expect(dot).toContain('n2 [label="%2 matmul\\nf32[batch, 4]", fillcolor="#fbe0e0"];');
    expect(dot).toContain('n1 [label="%1 weight \\"w\\"q\\"\\nf32[4, 4]"');
    expect(dot).toContain('n0 -> n2 [label="0"];');
    expect(dot).toContain('n1 -> n2 [label="1"];');
    expect(dot).toContain("n2 -> n3;");
    expect(dot).toContain("n6 -> out0;");
    expect(dot).toMatch(/n4 \[label="%4 neg\\nf32\[batch, 4\]".*dashed/); // dead node greyed
    expect(sample().toDot({ dead: false })).not.toContain("n4 [");
    expect(sample().toDot({ types: false })).toContain('n2 [label="%2 matmul",');
  });

  it("colours and clusters fusion groups", () => {
    const groups = new Map<number, number>([[2, 1], [3, 1], [5, 2], [6, 2]]);
    const dot = sample().toDot({ groups });
    expect(dot).toContain('subgraph "cluster_1" {');
    expect(dot).toContain('subgraph "cluster_2" {');
    const fill = (id: number) => dot.match(new RegExp(`n${id} \\[.*fillcolor="(#[0-9a-f]{6})"`))![1];
    expect(fill(2)).toBe(fill(3));
    expect(fill(5)).toBe(fill(6));
    expect(fill(2)).not.toBe(fill(5));
    // Cluster 1 holds exactly nodes 2 and 3.
    const c1 = dot.slice(dot.indexOf('subgraph "cluster_1"'), dot.indexOf("  }", dot.indexOf('subgraph "cluster_1"')));
    expect(c1.match(/n\d+ \[/g)).toEqual(["n2 [", "n3 ["]);
  });
});
