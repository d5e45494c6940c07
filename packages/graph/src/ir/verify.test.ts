// The verifier: a valid graph passes; each kind of corruption fails with VerifyError naming
// the pass and the node.

import { describe, expect, it } from "vitest";
import { Graph, Tensor, TensorType, VerifyError, ops, type Value } from "../index.js";
import { verify } from "./verify.js";

const f32 = (...shape: (number | string)[]) => new TensorType("f32", shape);

function base(): { g: Graph; x: Value; y: Value } {
  const g = new Graph("v", [f32("n", 3)]);
  const [x] = g.inputs as [Value];
  const y = ops.softmax(ops.exp(x), 1);
  g.output(y);
  return { g, x, y };
}

describe("verify", () => {
  it("accepts graphs made by the builder", () => {
    const { g } = base();
    expect(verify(g)).toBe(g);
  });

  const cases: [string, (g: Graph, x: Value) => void, RegExp][] = [
    ["a wrong stored type", (g, x) => g.addRaw("exp", [x.id], {}, f32(3, "n")),
      /\[verify after t\] \[exp\] stored type differs from inference: expected f32\[n, 3\], got f32\[3, n\] \(node %3\)/],
    ["an operand that is not defined yet", (g) => g.addRaw("exp", [7], {}, f32("n", 3)),
      /\[exp\] operand %7 does not precede its use: expected an id in 0\.\.2 \(node %3\)/],
    ["attributes the schema rejects", (g, x) => g.addRaw("softmax", [x.id], { axis: "last" }, f32("n", 3)),
      /\[softmax\] attributes fail the op's schema: axis: .* \(node %3\)/],
    ["operands the op's inference rejects", (g, x) => g.addRaw("matmul", [x.id, x.id], {}, f32("n", 3)),
      /\[matmul\] type inference rejects the operands: .*contraction dims differ.* \(node %3\)/],
    ["a wrong operand count", (g, x) => g.addRaw("add", [x.id], {}, f32("n", 3)),
      /\[add\] wrong operand count: expected 2, got 1 \(node %3\)/],
    ["a constant without data", (g) => g.addRaw("constant", [], { type: f32(2) }, f32(2)),
      /\[constant\] has no data in graph.constants \(node %3\)/],
    ["constant data of another type", (g) => {
      const id = g.addRaw("constant", [], { type: f32(2) }, f32(2));
      g.constants.set(id, Tensor.zeros("f32", [3]));
    }, /\[constant\] data does not match the node type: expected f32\[2\], got f32\[3\]/],
    ["an output that does not exist", (g) => g.setOutputIds([1, 42]), /output 1 refers to a missing node: got %42/],
    ["an input node missing from graph.inputs", (g) => g.addRaw("input", [], { index: 1, type: f32(2) }, f32(2)),
      /graph.inputs lists 1 values but the graph has 2 input nodes/],
    ["a repeated weight name", (g) => {
      g.weight("w", f32(2));
      g.addRaw("weight", [], { name: "w", type: f32(2) }, f32(2));
    }, /\[weight\] name 'w' declared twice: also node %3 \(node %4\)/],
  ];
  for (const [what, corrupt, message] of cases)
    it(`rejects ${what}`, () => {
      const { g, x } = base();
      corrupt(g, x);
      let err: unknown;
      try {
        verify(g, "t");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as Error).message).toMatch(message);
    });

  it("reports the node id on the error object", () => {
    const { g, x } = base();
    g.addRaw("exp", [x.id], {}, f32(1));
    try {
      verify(g, "mypass");
      expect.unreachable();
    } catch (e) {
      expect((e as VerifyError).pass).toBe("mypass");
      expect((e as VerifyError).nodeId).toBe(3);
    }
  });
});
