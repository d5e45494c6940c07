// Typed errors shared by the whole project, and the helper that finds the user's call site.
// Messages follow `[op] what failed: expected X, got Y (node %N) at file:line`.

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ShapeError extends GraphError {}
export class DTypeError extends GraphError {}
export class AttributeError extends GraphError {}
export class VerifyError extends GraphError {
  constructor(readonly pass: string, readonly nodeId: number | undefined, message: string) {
    super(`[verify after ${pass}] ${message}${nodeId !== undefined ? ` (node %${nodeId})` : ""}`);
  }
}
export class UnsupportedOpError extends GraphError {
  constructor(readonly op: string, readonly dtype: string, readonly backend: string, why = "") {
    super(`[${op}] not supported by backend '${backend}' for dtype ${dtype}${why ? `: ${why}` : ""}`);
  }
}
export class ExecutionError extends GraphError {}
export class BackendUnavailableError extends GraphError {}

/**
 * The first stack frame outside this package's own source: the line of user code that made the
 * call. Returns undefined when no such frame exists (for example, calls from inside the package).
 */
export function userCallSite(): string | undefined {
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  for (const line of stack) {
    if (/packages[\\/]graph[\\/]src[\\/]/.test(line) && !/\.test\.ts/.test(line)) continue;
    if (/node:internal|node_modules/.test(line)) continue;
    const m = line.match(/\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/);
    if (m) return m[1]!.replace(/^file:\/\//, "");
  }
  return undefined;
}
