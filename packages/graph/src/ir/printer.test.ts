// The text printer: exact lines for a small graph (sources, attrs, constants, weights, outputs).

import { describe, expect, it } from "vitest";
import { Graph, Tensor, TensorType, ops, type Value } from "../index.js";

describe("printGraph", () => {
  it("prints one node per line with operands, attributes and types", () => {
    const g = new Graph("mlp", [new TensorType("f32", ["batch", 4])]);
    const [x] = g.inputs as [Value];
    const w = g.constant(Tensor.fromArray("f32", [4, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2]));
    const b = g.weight("fc.b", new TensorType("f32", [3]));
    const eps = g.constant(Tensor.scalar("f32", 1e-5));
    const y = ops.gelu(ops.add(ops.matmul(x, w), b), "tanh");
    g.output(ops.softmax(ops.mul(y, eps), -1), ops.cast(y, "f16"));
    expect(g.toString()).toBe([
      "graph @mlp(%0: f32[batch, 4]) -> (f32[batch, 3], f16[batch, 3]) {",
      '  // weights: "fc.b" = %2',
      "  %0 = input {index: 0} : f32[batch, 4]",
      "  %1 = constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, … 4 more]> : f32[4, 3]",
      '  %2 = weight {name: "fc.b"} : f32[3]',
      "  %3 = constant dense<1e-05> : f32[]",
      "  %4 = matmul(%0, %1) : f32[batch, 3]",
      "  %5 = add(%4, %2) : f32[batch, 3]",
      '  %6 = gelu(%5) {approximate: "tanh"} : f32[batch, 3]',
      "  %7 = mul(%6, %3) : f32[batch, 3]",
      "  %8 = softmax(%7) {axis: -1} : f32[batch, 3]",
      '  %9 = cast(%6) {dtype: "f16"} : f16[batch, 3]',
      "  return %8, %9",
      "}",
    ].join("\n"));
  });

  it("prints f16 and integer constants with the shortest exact digits", () => {
    const g = new Graph("consts");
    g.output(g.constant(Tensor.fromArray("f16", [2], [0.1, -2.5])), g.constant(Tensor.fromArray("i64", [3], [1, -7, 2 ** 40])));
    const text = g.toString();
    // 0.1 in f16 is 0.0999755859375; "0.1" reads back to the same f16 value.
    expect(text).toContain("%0 = constant dense<[0.1, -2.5]> : f16[2]");
    expect(text).toContain("%1 = constant dense<[1, -7, 1099511627776]> : i64[3]");
  });
});
