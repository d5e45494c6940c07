// Shared by the op tests: run a one-output graph on the interpreter (checking that the reference
// shape equals the inferred one), and small index helpers.

import { expect } from "vitest";
import { Graph, Tensor, interpret, type Value } from "../index.js";

export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Build a one-output graph over the given inputs and run it on the interpreter. */
export function run1(inputs: Tensor[], build: (...v: Value[]) => Value): Tensor {
  const g = new Graph("t", inputs.map((t) => t.type));
  const y = build(...g.inputs);
  g.output(y);
  const [r] = interpret(g, inputs);
  expect(r!.shape, "reference shape = inferred shape").toEqual(y.shape);
  return r!;
}

/** Row-major multi-index of flat position i. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}

export const f32 = (shape: number[], v: number[]): Tensor => Tensor.fromArray("f32", shape, v);
