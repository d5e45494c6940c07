// Doc tests: extracts the TSDoc `@example` blocks in packages/graph/src and runs each against the
// package's public API, checking trailing `// f32[2, 4]` type comments. doctest.test.ts
// runs them under vitest; `tsx scripts/doctest.ts` runs them from the command line.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { sep } from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import * as api from "../packages/graph/src/index.js";

const GRAPH_SRC = new URL("../packages/graph/src/", import.meta.url);

/**
 * Every non-test source of packages/graph/src (relative paths, sorted): an @example anywhere in
 * the package must run against the public API, so a new example is never silently skipped.
 */
export function docSources(): string[] {
  const root = fileURLToPath(GRAPH_SRC);
  return (readdirSync(root, { recursive: true }) as string[])
    .map((p) => p.split(sep).join("/"))
    .filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts") && !/\.test(-util)?\.ts$/.test(p))
    .sort();
}

export interface DocExample {
  /** Source file, relative to packages/graph/src. */
  file: string;
  /** The documented declaration (function, const, class or method name). */
  name: string;
  /** 1-based line of the `@example` tag in `file`. */
  line: number;
  /** The example's code, with the leading ` * ` of each comment line removed. */
  code: string;
}

// A TSDoc block followed by the declaration it documents. Method and class names are taken too,
// so examples on Tensor or Graph members are named after the member.
const DOC_BLOCK = /\/\*\*([\s\S]*?)\*\/\s*(?:(?:export|declare|default|abstract|async|static|readonly|public|private|protected|override)\s+)*(?:function\s*\*?\s*|const\s+|let\s+|var\s+|class\s+|interface\s+|type\s+|get\s+|set\s+)?([A-Za-z_$][\w$]*)/g;

/** Every `@example` in `text` (the contents of `file`). A block may hold several examples. */
export function extractExamples(file: string, text: string): DocExample[] {
  const out: DocExample[] = [];
  for (const m of text.matchAll(DOC_BLOCK)) {
    const body = m[1]!;
    if (!body.includes("@example")) continue;
    const blockLine = text.slice(0, m.index).split("\n").length;
    const lines = body.split("\n");
    let cur: { line: number; code: string[] } | null = null;
    const flush = () => {
      if (!cur) return;
      // Fenced examples (```ts ... ```) are allowed; the fences themselves are not code.
      const code = cur.code.filter((l) => !/^```/.test(l.trim())).join("\n").trim();
      out.push({ file, name: m[2]!, line: cur.line, code });
      cur = null;
    };
    lines.forEach((raw, i) => {
      const l = raw.replace(/^\s*\* ?/, "");
      const tag = /^\s*@(\w+)/.exec(l);
      if (tag) {
        flush();
        if (tag[1] === "example") cur = { line: blockLine + i, code: [l.replace(/^\s*@example\s?/, "")] };
        return;
      }
      cur?.code.push(l);
    });
    flush();
  }
  return out;
}

/** The examples of every file in docSources(). */
export function collectExamples(): DocExample[] {
  return docSources().flatMap((f) => extractExamples(f, readFileSync(new URL(f, GRAPH_SRC), "utf8")));
}

// A type as TensorType prints it: dtype then [dims], e.g. f32[batch, seq*2, 64].
const TYPE_RE = `(?:${api.DTYPES.join("|")})\\[[^\\]]*\\]`;
// `const y = <expr>; // f32[2, 4]` (also `let`, `var`, and `// -> f32[2, 4]`).
const DECL_TYPE = new RegExp(`^(\\s*)(?:const|let|var)\\s+([A-Za-z_$][\\w$]*)\\s*(?::[^=]+)?=\\s*(\\S.*?);?\\s*//\\s*(?:->\\s*)?(${TYPE_RE})\\s*$`);
// `<expr>; // f32[2, 4]` on an expression statement.
const EXPR_TYPE = new RegExp(`^(\\s*)(\\S.*?);?\\s*//\\s*(?:->\\s*)?(${TYPE_RE})\\s*$`);

/**
 * Rewrites lines that end in a type comment so that the type is checked when the line runs:
 * `const y = f(); // f32[2, 4]` gains `__checkType(y, "f32[2, 4]", <line>)`, and an expression
 * statement `f(); // f32[2]` becomes `__checkType(f(), ...)`. Returns the code and the number of
 * checks added.
 */
export function instrumentTypeComments(code: string): { code: string; checks: number } {
  let checks = 0;
  const lines = code.split("\n").map((line, i) => {
    const decl = DECL_TYPE.exec(line);
    if (decl) {
      checks++;
      const [, indent, name, expr, type] = decl;
      return `${indent}const ${name} = ${expr}; __checkType(${name}, ${JSON.stringify(type)}, ${i + 1});`;
    }
    const stmt = EXPR_TYPE.exec(line);
    if (stmt && !/^\s*(?:return|throw|import|export)\b/.test(line)) {
      checks++;
      const [, indent, expr, type] = stmt;
      return `${indent}__checkType((${expr}), ${JSON.stringify(type)}, ${i + 1});`;
    }
    return line;
  });
  return { code: lines.join("\n"), checks };
}

/** True when an example checks its result: an `assert` call or at least one type comment. */
export function assertsSomething(ex: DocExample): boolean {
  return /\bassert(?:\.\w+)?\(/.test(ex.code) || instrumentTypeComments(ex.code).checks > 0;
}

/** The printed type of a graph Value, a TensorType or a Tensor; throws for anything else. */
export function typeString(x: unknown): string {
  if (x instanceof api.Value) return x.type.toString();
  if (x instanceof api.TensorType) return x.toString();
  if (x instanceof api.Tensor) return `${x.dtype}${api.shapeToString(x.shape)}`;
  throw new TypeError(`[doctest] a type comment follows something that is not a Value, TensorType or Tensor: got ${Object.prototype.toString.call(x)}`);
}

function checkType(x: unknown, expected: string, line: number): void {
  const got = typeString(x);
  // Compare modulo spacing so `f32[2,4]` in a comment matches the printer's `f32[2, 4]`.
  if (got.replace(/\s+/g, "") !== expected.replace(/\s+/g, ""))
    throw new Error(`[doctest] type comment on example line ${line}: expected ${expected}, got ${got}`);
}

// Only the package's own public API may be imported by an example; it is in scope anyway.
const IMPORT_LINE = /^\s*import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+["']([^"']+)["'];?\s*$/gm;
const PUBLIC_MODULE = "@max-whisper/graph";

/** Names in scope in every example: the whole public API, plus `assert` (node:assert/strict). */
export function exampleScope(): Record<string, unknown> {
  return { ...api, assert };
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => AsyncFn;

/**
 * Transpiles an example (TypeScript) and runs it as the body of an async function whose
 * parameters are the public API. Rejects with an error naming the file, line and declaration and
 * quoting the example when it throws, fails to transpile, or has a wrong type comment.
 */
export async function runExample(ex: DocExample): Promise<{ checks: number }> {
  const where = `${ex.file}:${ex.line} (${ex.name})`;
  const fail = (what: string, err: unknown): Error => {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return new Error(`[doctest] ${where} example ${what}: ${msg}\n--- example ---\n${ex.code}\n---`, { cause: err });
  };
  if (ex.code === "") throw fail("is empty", "no code after @example");
  let body = ex.code.replace(IMPORT_LINE, (_line, _names: string, from: string) => {
    if (from !== PUBLIC_MODULE) throw fail("imports a non-public module", `expected "${PUBLIC_MODULE}", got "${from}"`);
    return "";
  });
  const { code: instrumented, checks } = instrumentTypeComments(body);
  try {
    // esm format keeps top-level await legal; the result has no import/export left to run.
    body = (await transform(instrumented, { loader: "ts", format: "esm", target: "es2022" })).code;
  } catch (err) {
    throw fail("does not transpile", err);
  }
  const scope: Record<string, unknown> = { ...exampleScope(), __checkType: checkType };
  const names = Object.keys(scope);
  let fn: AsyncFn;
  try {
    fn = new AsyncFunction(...names, body);
  } catch (err) {
    throw fail("does not parse", err);
  }
  try {
    await fn(...names.map((n) => scope[n]));
  } catch (err) {
    throw fail("threw", err);
  }
  return { checks };
}

/** Runs every collected example; returns the failures (an empty list means all passed). */
export async function runAll(examples = collectExamples()): Promise<{ ran: number; failures: Error[] }> {
  const failures: Error[] = [];
  for (const ex of examples) await runExample(ex).catch((e: Error) => failures.push(e));
  return { ran: examples.length, failures };
}

/**
 * The runtime exports of `ops` (dsl/ops.ts) that have no example of their own. An alias (an export
 * that is the same function as another export with an example, e.g. reduce_sum = sum) counts as
 * documented.
 */
export function opsWithoutExamples(examples = collectExamples()): string[] {
  const ops = api.ops as unknown as Record<string, unknown>;
  const withEx = new Set(examples.filter((e) => e.file === "dsl/ops.ts").map((e) => e.name));
  const documentedFns = new Set<unknown>([...withEx].map((n) => ops[n]).filter((f) => typeof f === "function"));
  return Object.keys(ops)
    .filter((n) => typeof ops[n] === "function")
    .filter((n) => !withEx.has(n) && !documentedFns.has(ops[n]))
    .sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ran, failures } = await runAll();
  for (const f of failures) process.stderr.write(`${f.message}\n\n`);
  const missing = opsWithoutExamples();
  if (missing.length) process.stderr.write(`[doctest] ops without an @example: ${missing.join(", ")}\n`);
  process.stdout.write(`[doctest] ${ran - failures.length}/${ran} examples passed\n`);
  process.exitCode = failures.length ? 1 : 0;
}
