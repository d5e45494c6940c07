// onnxruntime-node as a peer: runs this project's ONNX export of the same graph with its best
// CPU settings (all optimisations, threads = cores).

import os from "node:os";
import { type Graph, Tensor } from "@max-whisper/graph";

type Ort = typeof import("onnxruntime-node");
let ortModule: Ort | null | undefined;

export async function loadOrt(): Promise<Ort | null> {
  if (ortModule === undefined) ortModule = await import("onnxruntime-node").catch(() => null);
  return ortModule;
}

const ORT_TYPE: Record<string, string> = { f32: "float32", f16: "float16", i32: "int32", i64: "int64", bool: "bool" };

export interface OrtRunner {
  /** Run; with `outputs`, onnxruntime writes into those tensors (its preallocated fetches). */
  run(inputs: Tensor[], outputs?: readonly Tensor[]): Promise<Tensor[]>;
  release(): Promise<void>;
}

export async function ortSession(model: Uint8Array, threads = os.cpus().length): Promise<OrtRunner> {
  const ort = await loadOrt();
  if (!ort) throw new Error("onnxruntime-node is not installed");
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  return {
    async run(inputs, outputs) {
      const wrap = (t: Tensor) => {
        const data = t.dtype === "bool" ? Uint8Array.from(t.data as Uint8Array) : t.data;
        return new ort.Tensor(ORT_TYPE[t.dtype] as "float32", data as Float32Array, [...t.shape]);
      };
      const feeds = Object.fromEntries(session.inputNames.map((name, i) => [name, wrap(inputs[i]!)]));
      if (outputs) {
        await session.run(feeds, Object.fromEntries(session.outputNames.map((name, i) => [name, wrap(outputs[i]!)])));
        return [...outputs];
      }
      const out = await session.run(feeds);
      return session.outputNames.map((n) => {
        const o = out[n]!;
        const dtype = o.type === "float32" ? "f32" : o.type === "int64" ? "i64" : o.type === "int32" ? "i32" : o.type === "float16" ? "f16" : "bool";
        return Tensor.fromArray(dtype, o.dims as number[], o.data as Float32Array);
      });
    },
    release: () => session.release(),
  };
}

export async function ortForGraph(graph: Graph): Promise<OrtRunner> {
  return ortSession(graph.toONNX());
}
