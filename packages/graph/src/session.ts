// compile(): the one entry point from a graph to something that runs. Validates bound weights,
// runs the pass pipeline, picks a backend (loading its package on first use) and compiles.

import {
  type Backend, type CompileOptions, type Device, type Executable,
  getRegisteredBackend, registerBackend, registeredBackends,
} from "./backend.js";
import { BackendUnavailableError, GraphError } from "./errors.js";
import type { Graph } from "./ir/graph.js";
import { Interpreter, bindInputs, checkOutputs } from "./interp/interp.js";
import { optimize } from "./passes/pipeline.js";
import type { Tensor } from "./tensor.js";
import { shapeToString } from "./dim.js";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Package that provides each native device; imported on demand so graph has no static dependency. */
const BACKEND_PACKAGES: Record<string, string> = {
  cpu: "@max-whisper/cpu-backend",
  cuda: "@max-whisper/cuda-backend",
};

export const referenceBackend: Backend = {
  name: "reference",
  priority: 0,
  caps: { dtypes: ["f32", "f16", "bf16", "i32", "i64", "bool"] },
  probe: async () => null,
  async compile(graph, weights) {
    // One interpreter per executable: it keeps what the weights alone determine across runs.
    const interp = new Interpreter(graph, weights);
    return {
      device: "reference",
      graph,
      execute: async (...inputs: Tensor[]) => interp.run(inputs),
      async executeInto(outputs: readonly Tensor[], ...inputs: Tensor[]) {
        checkOutputs(graph, bindInputs(graph, inputs), outputs, inputs);
        interp.run(inputs).forEach((r, i) => outputs[i]!.bytes().set(r.bytes()));
        return [...outputs];
      },
      dispose() {},
    } satisfies Executable;
  },
};
registerBackend(referenceBackend);

async function loadBackend(name: string): Promise<Backend | undefined> {
  const have = getRegisteredBackend(name);
  if (have) return have;
  const pkg = BACKEND_PACKAGES[name];
  if (!pkg) return undefined;
  try {
    await import(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" || !String((e as Error).message).includes(pkg)) throw e;
    const found = resolveFromApp(pkg);
    if (!found) throw new BackendUnavailableError(`device '${name}' needs the package ${pkg}, which is not installed`);
    await import(found);
  }
  return getRegisteredBackend(name);
}

/**
 * The backend package as the application sees it. Strict installs (pnpm) give graph no path to
 * packages it does not depend on, so look beside the entry script and the working folder too.
 */
function resolveFromApp(pkg: string): string | undefined {
  const bases = [process.argv[1] ? dirname(resolve(process.argv[1])) : undefined, process.cwd()];
  for (const base of bases) {
    if (!base) continue;
    try {
      return pathToFileURL(createRequire(join(base, "index.js")).resolve(pkg)).href;
    } catch {
      // Not installed from this folder; try the next.
    }
  }
  return undefined;
}

/** Resolve a device name to a usable backend; "auto" takes the best one that probes clean. */
export async function resolveBackend(device: Device = "auto"): Promise<Backend> {
  if (device === "auto") {
    for (const name of Object.keys(BACKEND_PACKAGES)) await loadBackend(name).catch(() => undefined);
    const candidates = registeredBackends().sort((a, b) => b.priority - a.priority);
    for (const b of candidates) if ((await b.probe()) === null) return b;
    return referenceBackend;
  }
  const b = await loadBackend(device);
  if (!b) throw new BackendUnavailableError(`unknown device '${device}' (expected reference, cpu, cuda or auto)`);
  const why = await b.probe();
  if (why !== null) throw new BackendUnavailableError(`device '${device}' is not available: ${why}`);
  return b;
}

/** Check bound weights against the graph's declarations; errors name the weight. */
export function bindWeights(graph: Graph, given: CompileOptions["weights"]): Map<string, Tensor> {
  const map = given instanceof Map ? new Map(given) : new Map(Object.entries(given ?? {}));
  const out = new Map<string, Tensor>();
  for (const { name, type } of graph.weights()) {
    const t = map.get(name);
    if (!t) throw new GraphError(`[compile] graph '${graph.name}' needs weight '${name}' (${type}), which was not given`);
    const ok = t.dtype === type.dtype && t.rank === type.rank && type.shape.every((d, i) => typeof d !== "number" || d === t.shape[i]);
    if (!ok)
      throw new GraphError(`[compile] weight '${name}': expected ${type}, got ${t.dtype}${shapeToString(t.shape)}`);
    out.set(name, t);
  }
  return out;
}

/**
 * Compile a graph for a device. The graph is optimised by the pass pipeline first; the original
 * graph object is left unchanged.
 */
export async function compile(graph: Graph, options: CompileOptions = {}): Promise<Executable> {
  if (graph.outputNodeIds.length === 0) throw new GraphError(`[compile] graph '${graph.name}' has no outputs: call graph.output(...)`);
  const weights = bindWeights(graph, options.weights);
  const backend = await resolveBackend(options.device ?? "auto");
  const optimized = optimize(graph, { dump: options.dumpPasses });
  return backend.compile(optimized, weights, options);
}
