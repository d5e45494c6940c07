// Line budget report (after tinygrad's sz.py): non-blank lines of non-test TypeScript per
// package source folder. Exits 1 when packages/graph/src goes over GRAPH_LINE_CAP, so CI fails.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The graph library's budget: room to grow from today's size, small enough to notice bloat. */
export const GRAPH_LINE_CAP = 9000;

export interface FileCount {
  path: string;
  lines: number;
  comments: number;
}

const isSource = (name: string) => name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts");

/** Every non-test .ts file under dir with its non-blank and comment line counts. */
export function countDir(dir: string, root = dir): FileCount[] {
  const out: FileCount[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...countDir(p, root));
    else if (isSource(name)) {
      const text = readFileSync(p, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "");
      const comments = text.filter((l) => l.startsWith("//") || l.startsWith("*") || l.startsWith("/*")).length;
      out.push({ path: relative(root, p), lines: text.length, comments });
    }
  }
  return out;
}

export const total = (files: readonly FileCount[]) => files.reduce((a, f) => a + f.lines, 0);

function main(): void {
  const repo = fileURLToPath(new URL("..", import.meta.url));
  const pkgs = readdirSync(join(repo, "packages")).sort();
  const rows: [string, number, number, number][] = [];
  for (const p of pkgs) {
    const files = countDir(join(repo, "packages", p, "src"));
    rows.push([`packages/${p}/src`, files.length, total(files), files.reduce((a, f) => a + f.comments, 0)]);
  }
  const ex = countDir(join(repo, "examples"));
  rows.push(["examples", ex.length, total(ex), ex.reduce((a, f) => a + f.comments, 0)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${"folder".padEnd(w)}  files   lines  comment%\n`);
  for (const [name, n, lines, comments] of rows)
    process.stdout.write(`${name.padEnd(w)}  ${String(n).padStart(5)}  ${String(lines).padStart(6)}  ${lines ? ((100 * comments) / lines).toFixed(0).padStart(7) : "      -"}%\n`);
  const graph = total(countDir(join(repo, "packages", "graph", "src")));
  process.stdout.write(`\npackages/graph/src: ${graph} / ${GRAPH_LINE_CAP} lines\n`);
  if (graph > GRAPH_LINE_CAP) {
    process.stderr.write(`[sz] packages/graph/src is over its line budget: expected <= ${GRAPH_LINE_CAP}, got ${graph}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
