// docs/ops.md must match what the registry generates, and must cover every op.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { opNames } from "../packages/graph/src/ops/registry.js";
import { OPS_DOC_PATH, onnxOpsOf, renderOpsDoc } from "./gen-ops-doc.js";

describe("docs/ops.md", () => {
  it("is up to date with the registry (run `pnpm docs:ops` to regenerate)", () => {
    expect(readFileSync(OPS_DOC_PATH, "utf8")).toBe(renderOpsDoc());
  });

  it("has a row for every op, naming the ONNX ops its hook emits", () => {
    const doc = renderOpsDoc();
    for (const op of opNames()) expect(doc, op).toContain(`| \`${op}\` |`);
    expect(onnxOpsOf("layer_norm")).toEqual(["LayerNormalization"]);
    expect(onnxOpsOf("rms_norm")).toEqual(expect.arrayContaining(["ReduceMean", "Sqrt", "Div", "Mul"]));
    expect(onnxOpsOf("input")).toBeNull();
  });
});
