// The line budget as a test, so `pnpm test` (and CI) fails when packages/graph/src outgrows it.

import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GRAPH_LINE_CAP, countDir, total } from "./sz.js";

describe("sz", () => {
  it("counts non-blank lines of non-test .ts files only", () => {
    const d = mkdtempSync(join(tmpdir(), "sz-"));
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "a.ts"), "// c\nconst a = 1;\n\n  \nexport { a };\n");
    writeFileSync(join(d, "sub", "b.ts"), "x;\n");
    writeFileSync(join(d, "a.test.ts"), "1;\n2;\n");
    writeFileSync(join(d, "notes.md"), "words\n");
    const files = countDir(d);
    expect(files.map((f) => [f.path, f.lines, f.comments])).toEqual([["a.ts", 3, 1], [join("sub", "b.ts"), 1, 0]]);
    expect(total(files)).toBe(4);
  });

  it(`keeps packages/graph/src within ${GRAPH_LINE_CAP} lines`, () => {
    const lines = total(countDir(fileURLToPath(new URL("../packages/graph/src", import.meta.url))));
    expect(lines).toBeGreaterThan(0);
    expect(lines, "packages/graph/src is over its line budget (scripts/sz.ts)").toBeLessThanOrEqual(GRAPH_LINE_CAP);
  });
});
