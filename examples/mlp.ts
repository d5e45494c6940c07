// A tiny MLP (16 -> 32 -> 32 -> 4, GELU, softmax) built from the public graph API, with
// named weights bound at compile time. Run: `pnpm example:mlp [--device reference|cpu|cuda|auto]
// [--onnx out.onnx]`.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Graph, TensorType, Tensor, ops, compile } from "@max-whisper/graph";
import { fail, flag, parseDevice, randn, rng } from "./common.js";

export const MLP_SIZES = [16, 32, 32, 4] as const;

/** The graph (batch is symbolic) and seeded weights for it. */
export function buildMlp(seed = 1): { graph: Graph; weights: Record<string, Tensor> } {
  const graph = new Graph("mlp", [new TensorType("f32", ["batch", MLP_SIZES[0]])]);
  const next = rng(seed);
  const weights: Record<string, Tensor> = {};
  let h = graph.inputs[0]!;
  for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
    const [fin, fout] = [MLP_SIZES[i]!, MLP_SIZES[i + 1]!];
    const w = graph.weight(`fc${i}.weight`, new TensorType("f32", [fin, fout]));
    const b = graph.weight(`fc${i}.bias`, new TensorType("f32", [fout]));
    weights[`fc${i}.weight`] = randn(next, [fin, fout], 1 / Math.sqrt(fin));
    weights[`fc${i}.bias`] = randn(next, [fout], 0.1);
    h = ops.add(ops.matmul(h, w), b);
    if (i + 2 < MLP_SIZES.length) h = ops.gelu(h);
  }
  graph.output(ops.softmax(h, -1));
  return { graph, weights };
}

export async function main(argv: readonly string[]): Promise<void> {
  const device = parseDevice(argv);
  const { graph, weights } = buildMlp();
  const onnxPath = flag(argv, "onnx");
  if (onnxPath) {
    writeFileSync(onnxPath, graph.toONNX({ weights }));
    console.log(`wrote ${onnxPath}`);
  }
  const t0 = performance.now();
  const exe = await compile(graph, { device, weights });
  const t1 = performance.now();
  const x = randn(rng(7), [3, MLP_SIZES[0]]);
  const [y] = await exe.execute(x);
  const t2 = performance.now();
  console.log(`mlp on ${exe.device}: compile ${(t1 - t0).toFixed(1)} ms, run ${(t2 - t1).toFixed(1)} ms`);
  console.log(`output ${y!.dtype}[${y!.shape.join(", ")}]`);
  const p = y!.toFloat32Array();
  for (let r = 0; r < y!.shape[0]!; r++) {
    const row = Array.from(p.subarray(r * MLP_SIZES[3], (r + 1) * MLP_SIZES[3]), (v) => v.toFixed(4));
    console.log(`  row ${r}: [${row.join(", ")}]`);
  }
  exe.dispose();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2)).catch(fail);
