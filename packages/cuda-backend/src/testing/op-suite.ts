// The graph-level op suite for the CUDA backend: small graphs covering every kernel kind the
// plan produces (fused elementwise, row reductions, GEMM with epilogues, attention, gather,
// argmax, im2col+GEMM conv1d, movement views), in f32 and f16, with symbolic dims. Each runs
// through buildPlan -> CUDA printer -> a device and is compared with the reference interpreter.
// All cases print into ONE translation unit, so the suite costs one nvcc (or g++) invocation.

import {
  type DType, type Dim, Graph, type Tensor, Tensor as TensorClass, TensorType, DTYPE_EPS, interpret, ops, optimize, type Value,
} from "@max-whisper/graph";
import { type KernelPlan, buildPlan } from "@max-whisper/graph/plan";
import { CUDA_PRELUDE, type PrintedPlan, printPlan } from "../codegen/printer.js";
import { CudaExecutable } from "../runtime/executable.js";
import { CudaDevice, HostDevice, type KernelDevice } from "../runtime/device.js";
import { compare, randomTensor } from "./reference.js";

export interface OpCase {
  readonly name: string;
  readonly inputs: readonly TensorType[];
  /** Concrete shapes for the inputs (binds the symbolic dims). */
  readonly shapes: readonly (readonly number[])[];
  readonly build: (g: Graph, xs: readonly Value[]) => Value[];
  /** Integer inputs: values drawn in [0, intRange). */
  readonly intRange?: number;
  /** Extra absolute tolerance (reductions over long rows, f16 chains). */
  readonly atol?: number;
  /** Print with PrintOptions.halfAttention (f32 attention on the tensor cores in f16). */
  readonly halfAttention?: boolean;
}

const T = (dtype: DType, shape: Dim[]) => new TensorType(dtype, shape);

function cases(): OpCase[] {
  const c: OpCase[] = [];
  for (const dt of ["f32", "f16"] as const) {
    c.push({
      name: `elementwise chain ${dt} (broadcast, symbolic rows)`,
      inputs: [T(dt, ["n", 33]), T(dt, [33])], shapes: [[7, 33], [33]],
      build: (_g, [x, b]) => [ops.gelu(ops.mul(ops.add(x!, b!), 0.5)), ops.where(ops.greater(x!, b!), ops.exp(x!), ops.tanh(b!))],
    });
    c.push({
      name: `softmax + log_softmax ${dt}`,
      inputs: [T(dt, [3, "s", 50])], shapes: [[3, 5, 50]],
      build: (_g, [x]) => [ops.softmax(ops.mul(x!, 3)), ops.log_softmax(x!, 1)],
    });
    c.push({
      name: `layer_norm ${dt}`,
      inputs: [T(dt, ["n", 96]), T(dt, [96]), T(dt, [96])], shapes: [[9, 96], [96], [96]],
      build: (_g, [x, g, b]) => [ops.layer_norm(ops.add(x!, 1), g!, b!)],
      atol: dt === "f16" ? 4e-3 : 1e-5,
    });
    c.push({
      name: `matmul + bias + gelu ${dt}`,
      inputs: [T(dt, ["m", 40]), T(dt, [40, 72]), T(dt, [72])], shapes: [[37, 40], [40, 72], [72]],
      build: (_g, [x, w, b]) => [ops.gelu(ops.add(ops.matmul(x!, w!), b!))],
      atol: dt === "f16" ? 2e-2 : 1e-4,
    });
    c.push({
      name: `attention causal over kv-cache ${dt}`,
      inputs: [T(dt, [1, 2, "q", 16]), T(dt, [1, 2, "k", 16]), T(dt, [1, 2, "k", 16])], shapes: [[1, 2, 3, 16], [1, 2, 9, 16], [1, 2, 9, 16]],
      build: (_g, [q, k, v]) => [ops.scaled_dot_product_attention(q!, k!, v!, { causal: true })],
      atol: dt === "f16" ? 1e-2 : 1e-5,
    });
  }
  c.push({
    name: "batched matmul with transposed operand f32",
    inputs: [T("f32", [2, 3, 20, 16]), T("f32", [2, 3, 24, 16])], shapes: [[2, 3, 20, 16], [2, 3, 24, 16]],
    build: (_g, [a, b]) => [ops.matmul(a!, ops.transpose(b!, -1, -2))],
    atol: 1e-4,
  });
  c.push({
    name: "reductions sum/mean/max f32",
    inputs: [T("f32", [4, "n", 30])], shapes: [[4, 6, 30]],
    build: (_g, [x]) => [ops.sum(x!, -1), ops.mean(x!, [0, 2], true), ops.max(ops.abs(x!), 1)],
    atol: 1e-5,
  });
  c.push({
    name: "integer reductions (i32 sum, max)",
    inputs: [T("i32", [3, 40])], shapes: [[3, 40]], intRange: 1000,
    build: (_g, [x]) => [ops.sum(x!, -1), ops.max(x!, 0)],
  });
  c.push({
    name: "argmax + gather (greedy token pick)",
    inputs: [T("f32", [2, 50]), T("f32", [50, 8])], shapes: [[2, 50], [50, 8]],
    build: (_g, [logits, emb]) => {
      const id = ops.argmax(logits!, -1);
      return [id, ops.gather(emb!, id, 0)];
    },
  });
  c.push({
    name: "gather with i32 indices",
    inputs: [T("f32", [30, 6]), T("i32", ["t"])], shapes: [[30, 6], [5]], intRange: 30,
    build: (_g, [w, ids]) => [ops.mul(ops.gather(w!, ids!, 0), 2)],
  });
  c.push({
    name: "conv1d stride 2 + gelu (Whisper stem)",
    inputs: [T("f32", [1, 4, 20]), T("f32", [6, 4, 3]), T("f32", [6])], shapes: [[1, 4, 20], [6, 4, 3], [6]],
    build: (_g, [x, w, b]) => [ops.gelu(ops.conv1d(x!, w!, b!, { stride: 2, padding: 1 }))],
    atol: 1e-5,
  });
  c.push({
    name: "movement: permute, reshape, slice, concat, pad",
    inputs: [T("f32", [2, 3, 4]), T("f32", [2, 3, 4])], shapes: [[2, 3, 4], [2, 3, 4]],
    build: (_g, [a, b]) => {
      const p = ops.permute(a!, [2, 0, 1]);
      const r = ops.reshape(ops.add(p, 1), [4, 6]);
      const s = ops.slice(b!, [0, 1], [2, 3], [0, 1]);
      return [r, ops.concat([a!, ops.neg(b!)], 1), ops.pad(s, [[0, 0], [1, 0], [0, 2]], 0.5)];
    },
  });
  c.push({
    name: "iota + cast + comparisons (i32/bool)",
    inputs: [T("i32", [3, "n"])], shapes: [[3, 7]], intRange: 9,
    build: (g, [x]) => {
      const io = ops.iota([3, "n"], 1, "i32", g);
      return [ops.add(x!, io), ops.cast(ops.less(x!, io), "f32"), ops.cast(x!, "f32")];
    },
  });
  c.push({
    // Whisper with f16 weights on cuda: f32 q, k, v through the f16 tensor-core tiles (ragged
    // query and key blocks, an additive mask); each input rounded to f16 (about 2^-11 relative).
    name: "attention f32 in f16 on tensor cores (halfAttention, mask)",
    inputs: [T("f32", [1, 2, "q", 32]), T("f32", [1, 2, "k", 32]), T("f32", [1, 2, "k", 32]), T("f32", [1, 2, "q", "k"])],
    shapes: [[1, 2, 37, 32], [1, 2, 45, 32], [1, 2, 45, 32], [1, 2, 37, 45]],
    build: (_g, [q, k, v, m]) => [ops.scaled_dot_product_attention(q!, k!, v!, { mask: m! })],
    atol: 1e-2,
    halfAttention: true,
  });
  c.push({
    // Whisper with f16 weights: f32 activations times an f16 weight, the cast folded into the
    // GEMM; the tensor-core path rounds the activations to f16 (about 2^-11 relative each).
    name: "matmul f32 activations x f16 weight + bias (mixed)",
    inputs: [T("f32", ["m", 64])], shapes: [[45, 64]],
    build: (g, [x]) => [ops.add(ops.matmul(x!, ops.cast(g.weight("w", T("f16", [64, 40])), "f32")), 0.25)],
    atol: 2e-2,
  });
  c.push({
    name: "pre-norm transformer block f16 (decoder-shaped)",
    inputs: [T("f16", [1, "s", 32])], shapes: [[1, 5, 32]],
    build: (g, [x]) => {
      const w = (name: string, shape: number[]) => g.weight(name, T("f16", shape));
      const h = ops.layer_norm(x!, w("ln.g", [32]), w("ln.b", [32]));
      const qkv = ops.add(ops.matmul(h, w("qkv.w", [32, 96])), w("qkv.b", [96]));
      const [q, k, v] = ops.split(qkv, [32, 32, 32], -1).map((t) => ops.permute(ops.reshape(t, [1, "s", 2, 16]), [0, 2, 1, 3]));
      const a = ops.scaled_dot_product_attention(q!, k!, v!, { causal: true });
      const o = ops.reshape(ops.permute(a, [0, 2, 1, 3]), [1, "s", 32]);
      const x2 = ops.add(x!, ops.matmul(o, w("out.w", [32, 32])));
      const f = ops.gelu(ops.matmul(ops.layer_norm(x2, w("ln2.g", [32]), w("ln2.b", [32])), w("up.w", [32, 64])));
      return [ops.add(x2, ops.matmul(f, w("down.w", [64, 32])))];
    },
    atol: 3e-2,
  });
  return c;
}

export interface OpCaseResult {
  name: string;
  ok: boolean;
  maxAbsErr?: number;
  worst?: string;
  error?: string;
  kernels?: number;
  ms?: number;
  /** GPU only: whether the repeated run replayed a captured CUDA graph. */
  cudaGraph?: { captures: number; replays: number; error?: string };
}

interface Prepared {
  readonly case: OpCase;
  readonly graph: Graph;
  readonly plan: KernelPlan;
  readonly printed: PrintedPlan;
  readonly weights: Map<string, Tensor>;
}

function prepare(c: OpCase, index: number): Prepared {
  const g = new Graph(`op${index}`, c.inputs);
  g.build(() => g.output(...c.build(g, g.inputs)));
  const graph = optimize(g);
  const weights = new Map<string, Tensor>();
  graph.weights().forEach(({ name, type }, i) =>
    weights.set(name, randomTensor(type.dtype, type.shape as number[], 900 + i, name.endsWith(".g") ? 1 : 0.3)));
  const plan = buildPlan(graph, { backend: "cuda" });
  return { case: c, graph, plan, printed: printPlan(plan, { prefix: `op${index}_`, halfAttention: c.halfAttention }), weights };
}

export interface OpSuite {
  readonly cases: readonly OpCase[];
  /** One translation unit holding every case's kernels. */
  source(): string;
  /** Sources the GPU run loads (for prebuilding caches). */
  sources(): string[];
}

export function opSuite(): OpSuite {
  const cs = cases();
  let prepared: Prepared[] | undefined;
  const all = () => (prepared ??= cs.map(prepare));
  const source = () => CUDA_PRELUDE + all().map((p) => p.printed.body).join("\n");
  return { cases: cs, source, sources: () => [source()] };
}

function inputsFor(c: OpCase): Tensor[] {
  return c.inputs.map((t, i) => {
    const shape = c.shapes[i]!;
    if (t.dtype !== "i32" && t.dtype !== "i64") return randomTensor(t.dtype, shape, 300 + i);
    // Integers uniform in [0, intRange), from the same seeded generator.
    const range = c.intRange ?? 10;
    const u = randomTensor("f32", shape, 500 + i).toFloat64Array();
    return TensorClass.fromArray(t.dtype, shape, Array.from(u, (x) => Math.min(range - 1, Math.floor(((x + 1) / 2) * range))));
  });
}

/** Run the op suite on the GPU or the CPU harness, within a time limit. */
export async function runOpSuite(target: "gpu" | "host", limitMs = Infinity): Promise<{ passed: number; failed: number; skipped: number; cases: OpCaseResult[]; device: string; graphReplayed?: number }> {
  const t0 = Date.now();
  const suite = opSuite();
  const source = suite.source();
  const results: OpCaseResult[] = [];
  let device = "";
  let preps: Prepared[];
  try {
    preps = suite.cases.map(prepare);
  } catch (e) {
    return { passed: 0, failed: 1, skipped: 0, cases: [{ name: "prepare", ok: false, error: String((e as Error).stack ?? e) }], device };
  }
  try {
    // Build the shared module once up front: a compile error is one failure, not one per case.
    const dev = target === "gpu" ? new CudaDevice() : new HostDevice();
    dev.loadModule(source);
    dev.dispose();
  } catch (e) {
    return { passed: 0, failed: preps.length, skipped: 0, cases: [{ name: "compile", ok: false, error: String((e as Error).message ?? e).slice(0, 6000) }], device };
  }
  for (const p of preps) {
    if (Date.now() - t0 > limitMs) {
      results.push({ name: p.case.name, ok: false, error: "skipped: time limit" });
      continue;
    }
    const t = Date.now();
    const dev: KernelDevice = target === "gpu" ? new CudaDevice() : new HostDevice();
    device = dev.label;
    let exe: CudaExecutable | undefined;
    try {
      exe = new CudaExecutable(p.graph, p.plan, { ...p.printed, source }, dev, p.weights);
      const inputs = inputsFor(p.case);
      const want = interpret(p.graph, inputs, p.weights);
      // Repeated: on a GPU the second run with the same shapes captures a CUDA graph and the
      // third replays it, so the checked result is the replayed one. The repeats write into
      // fresh caller-provided tensors (executeInto), so that path is checked too.
      let got = await exe.execute(...inputs);
      for (let r = 1; r < (target === "gpu" ? 3 : 2); r++) got = await exe.executeInto(got.map((t) => new TensorClass(t.dtype, t.shape)), ...inputs);
      let worst = "", maxAbsErr = 0, ok = true;
      got.forEach((g, i) => {
        const w = want[i]!;
        const dt = w.dtype;
        const isInt = dt !== "f32" && dt !== "f16" && dt !== "bf16";
        const r = compare(g.toFloat64Array(), w.toFloat64Array(), dt, isInt ? 0 : (p.case.atol ?? (dt === "f32" ? 1e-5 : 4e-3)), isInt ? 0 : 16 * DTYPE_EPS[dt]);
        if (g.shape.join() !== w.shape.join()) { ok = false; worst += `output ${i}: shape [${g.shape}] vs [${w.shape}]; `; }
        if (!r.ok) { ok = false; worst += `output ${i}: ${r.worst}; `; }
        maxAbsErr = Math.max(maxAbsErr, r.maxAbsErr);
      });
      const st = exe.stats;
      const cudaGraph = target === "gpu" ? { captures: st.graphCaptures, replays: st.graphReplays, error: st.graphError } : undefined;
      results.push({ name: p.case.name, ok, maxAbsErr, worst: worst || undefined, kernels: p.plan.kernels.length, ms: Date.now() - t, cudaGraph });
    } catch (e) {
      results.push({ name: p.case.name, ok: false, error: String((e as Error).stack ?? e).slice(0, 2000), ms: Date.now() - t });
    } finally {
      exe?.dispose();
    }
  }
  const passed = results.filter((r) => r.ok).length;
  const skipped = results.filter((r) => r.error?.startsWith("skipped")).length;
  const graphReplayed = results.filter((r) => (r.cudaGraph?.replays ?? 0) > 0).length;
  return { passed, failed: results.length - passed - skipped, skipped, cases: results, device, graphReplayed };
}
