// Runs every TSDoc @example in packages/graph/src (scripts/doctest.ts), checks
// their `// f32[2, 4]` type comments, and checks that every exported DSL op has an example.

import { describe, expect, it } from "vitest";
import { assertsSomething, collectExamples, docSources, extractExamples, instrumentTypeComments, opsWithoutExamples, runExample, typeString } from "./doctest.js";
import { Graph, Tensor, TensorType, ops } from "../packages/graph/src/index.js";

const examples = collectExamples();

describe("doc examples", () => {
  it("finds the examples of dsl/ops.ts", () => {
    // dsl/ops.ts documents more than 20 ops with examples; far fewer means extraction broke.
    expect(examples.filter((e) => e.file === "dsl/ops.ts").length).toBeGreaterThanOrEqual(20);
    for (const e of examples) expect(e.code, `${e.file}:${e.line} ${e.name}`).not.toBe("");
  });

  it("every example asserts something (an assert call or a `// f32[2, 4]` type comment)", () => {
    expect(examples.filter((e) => !assertsSomething(e)).map((e) => `${e.file}:${e.line} ${e.name}`)).toEqual([]);
  });

  for (const ex of examples)
    it(`${ex.file} ${ex.name} (line ${ex.line}) runs`, async () => {
      await runExample(ex);
    });
});

describe("example coverage of ops.*", () => {
  it("every exported op has an @example (an alias of a documented op counts)", () => {
    expect(opsWithoutExamples(examples), "exported ops without an @example").toEqual([]);
  });
  it("counts an alias of a documented op as documented, and an undocumented export as missing", () => {
    // Drop two ops' examples to check the coverage check itself: reduce_sum is an alias of sum.
    const missing = opsWithoutExamples(examples.filter((e) => e.name !== "softmax" && e.name !== "sum"));
    expect(missing).toEqual(["reduce_sum", "softmax", "sum"]);
    expect(opsWithoutExamples(examples.filter((e) => e.name !== "softmax"))).toEqual(["softmax"]);
  });
});

describe("the doctest runner itself", () => {
  const src = [
    "/**",
    " * Adds.",
    " * @example",
    " * const a = 1;",
    " * @param x the thing",
    " * @example",
    " * ```ts",
    " * const b = 2;",
    " * ```",
    " */",
    "export function plus(x: number) {}",
    "class K {",
    "  /** Method doc.",
    "   * @example",
    "   * k.m();",
    "   */",
    "  static m() {}",
    "}",
  ].join("\n");

  it("scans every non-test source of the graph package", () => {
    const files = docSources();
    expect(files).toEqual(expect.arrayContaining(["dsl/ops.ts", "tensor.ts", "ir/graph.ts", "ops/norm.ts"]));
    expect(files.filter((f) => f.includes(".test"))).toEqual([]);
  });

  it("extracts each @example with its declaration name and line, without fences or other tags", () => {
    const got = extractExamples("x.ts", src);
    expect(got).toEqual([
      { file: "x.ts", name: "plus", line: 3, code: "const a = 1;" },
      { file: "x.ts", name: "plus", line: 6, code: "const b = 2;" },
      { file: "x.ts", name: "m", line: 14, code: "k.m();" },
    ]);
  });

  it("turns trailing type comments into checks", () => {
    const { code, checks } = instrumentTypeComments([
      "const y = ops.matmul(a, b); // f32[2, 4]",
      "  ops.relu(y); // -> f32[batch, 4]",
      "// f32[9] on a comment line is prose",
      'assert.equal(String(y.type), "f32[2, 4]"); // plain comment',
    ].join("\n"));
    expect(checks).toBe(2);
    expect(code.split("\n")[0]).toBe('const y = ops.matmul(a, b); __checkType(y, "f32[2, 4]", 1);');
    expect(code.split("\n")[1]).toBe('  __checkType((ops.relu(y)), "f32[batch, 4]", 2);');
    expect(code.split("\n").slice(2)).toEqual(["// f32[9] on a comment line is prose", 'assert.equal(String(y.type), "f32[2, 4]"); // plain comment']);
  });

  it("tells an asserting example from one that only runs", () => {
    const e = (code: string) => ({ file: "x.ts", name: "f", line: 1, code });
    expect(assertsSomething(e("assert.equal(1, 1);"))).toBe(true);
    expect(assertsSomething(e("assert(true);"))).toBe(true);
    expect(assertsSomething(e("const y = ops.relu(x); // f32[2]"))).toBe(true);
    expect(assertsSomething(e("const y = ops.relu(x); // relu it"))).toBe(false);
  });

  it("prints the types of values, tensor types and tensors", () => {
    const g = new Graph("t", [new TensorType("f32", ["seq", 3])]);
    expect(typeString(ops.relu(g.inputs[0]!))).toBe("f32[seq, 3]");
    expect(typeString(new TensorType("i32", [2]))).toBe("i32[2]");
    expect(typeString(Tensor.zeros("f16", [1, 2]))).toBe("f16[1, 2]");
    expect(() => typeString(3)).toThrow(/not a Value, TensorType or Tensor/);
  });

  const ex = (code: string) => ({ file: "dsl/ops.ts", name: "matmul", line: 7, code });

  it("passes a correct type comment and fails a wrong one, naming both types", async () => {
    const good = 'const g = new Graph("mm", [new TensorType("f32", [2, 3]), new TensorType("f32", [3, 4])]);\nconst y = ops.matmul(g.inputs[0], g.inputs[1]); // f32[2, 4]';
    await expect(runExample(ex(good))).resolves.toEqual({ checks: 1 });
    await expect(runExample(ex(good.replace("f32[2, 4]", "f32[2, 5]")))).rejects.toThrow(/expected f32\[2, 5\], got f32\[2, 4\]/);
  });

  it("reports a throwing example with its file, line, op name and text", async () => {
    const code = 'const g = new Graph("bad", [new TensorType("f32", [2, 3])]);\nops.matmul(g.inputs[0], g.inputs[0]);';
    const err: Error = await runExample(ex(code)).then(() => new Error("did not throw"), (e: Error) => e);
    expect(err.message).toMatch(/^\[doctest\] dsl\/ops\.ts:7 \(matmul\) example threw: ShapeError/);
    expect(err.message).toContain(code);
  });

  it("fails an assertion inside an example, runs async code, and rejects foreign imports", async () => {
    await expect(runExample(ex("assert.equal(1 + 1, 3);"))).rejects.toThrow(/example threw: AssertionError/);
    await expect(runExample(ex('const t: number = await Promise.resolve(2);\nassert.equal(t, 2);'))).resolves.toEqual({ checks: 0 });
    await expect(runExample(ex('import { Graph } from "@max-whisper/graph";\nnew Graph("ok");'))).resolves.toBeDefined();
    await expect(runExample(ex('import { x } from "./secret.js";'))).rejects.toThrow(/non-public module/);
    await expect(runExample(ex("const = ;"))).rejects.toThrow(/does not transpile/);
  });
});
