// Fused patterns on the cpu backend against the reference: a Whisper-shaped encoder block, a
// decoder step over a growing kv-cache, conv1d front end, hand-written attention; plus thread
// determinism and the kernel counts that show fusion happened.

import { describe, expect, it } from "vitest";
import { type Dim, Graph, type Tensor, TensorType, type Value, ops, compile } from "@max-whisper/graph";
import type { CpuExecutable } from "./index.js";
import { checkAgainstReference, expectClose, randTensor, uniform } from "./test-util.js";

const f32 = (...s: Dim[]) => new TensorType("f32", s);
const TOL = { atol: 3e-4, eps: 1e-3 };

/** Random weights scaled like a trained model's (1/sqrt(fan-in)), optionally stored as f16. */
function weightsFor(g: Graph, seed: number): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  g.weights().forEach(({ name, type }, i) => {
    const shape = type.shape as number[];
    const fan = shape.length > 1 ? shape[0]! : 1;
    const s = name.endsWith(".g") ? 0 : 1 / Math.sqrt(fan);
    const gen = name.endsWith(".g") ? uniform(0.8, 1.2) : uniform(-s * 1.7, s * 1.7);
    m.set(name, randTensor(type.dtype, shape, seed + i, gen));
  });
  return m;
}

interface Dims { D: number; H: number }

function linear(g: Graph, h: Value, name: string, din: number, dout: number, bias = true, dtype: "f32" | "f16" = "f32"): Value {
  const w = g.weight(`${name}.w`, new TensorType(dtype, [din, dout]));
  const y = ops.matmul(h, dtype === "f32" ? w : ops.cast(w, "f32"));
  return bias ? ops.add(y, g.weight(`${name}.b`, f32(dout))) : y;
}

function heads(t: Value, L: Dim, { D, H }: Dims): Value {
  return ops.permute(ops.reshape(t, [1, L, H, D / H]), [0, 2, 1, 3]);
}

function merge(t: Value, L: Dim, { D }: Dims): Value {
  return ops.reshape(ops.permute(t, [0, 2, 1, 3]), [1, L, D]);
}

function ln(g: Graph, x: Value, name: string, D: number): Value {
  return ops.layer_norm(x, g.weight(`${name}.g`, f32(D)), g.weight(`${name}.b`, f32(D)), 1e-5);
}

function mlp(g: Graph, x: Value, name: string, D: number, dtype: "f32" | "f16" = "f32"): Value {
  return ops.add(x, linear(g, ops.gelu(linear(g, ln(g, x, `${name}.ln`, D), `${name}.fc1`, D, 4 * D, true, dtype)), `${name}.fc2`, 4 * D, D, true, dtype));
}

/** Whisper's encoder block: pre-norm self-attention (k without bias) and MLP. */
function encoderBlock(dims: Dims): Graph {
  const { D } = dims;
  const g = new Graph("encoder_block", [f32(1, "T", D)]);
  const x = g.inputs[0]!;
  const h = ln(g, x, "attn_ln", D);
  const q = heads(linear(g, h, "q", D, D), "T", dims), k = heads(linear(g, h, "k", D, D, false), "T", dims), v = heads(linear(g, h, "v", D, D), "T", dims);
  const x1 = ops.add(x, linear(g, merge(ops.scaled_dot_product_attention(q, k, v), "T", dims), "o", D, D));
  g.output(mlp(g, x1, "mlp", D));
  return g;
}

describe("fused patterns match the reference", () => {
  it("Whisper-shaped encoder block (d 384, 6 heads) lowers to 9 kernels, no copies, any T", async () => {
    const g = encoderBlock({ D: 384, H: 6 });
    const weights = weightsFor(g, 100);
    const exe = (await checkAgainstReference(g, [[randTensor("f32", [1, 150, 384], 1)], [randTensor("f32", [1, 37, 384], 2)]], {
      weights, tol: () => TOL,
    })) as CpuExecutable;
    expect(exe.plan.kernels.map((k) => k.kind)).toEqual(["row", "gemm", "gemm", "gemm", "attention", "gemm", "row", "gemm", "gemm"]);
    expect(exe.plan.copies).toBe(0);
  });

  it("decoder step over a growing kv-cache with causal self-attention and cross-attention", async () => {
    const dims = { D: 64, H: 4 }, { D } = dims, dh = D / 4, S = 50;
    const g = new Graph("decoder_step", [f32(1, "L", D), f32(1, 4, "P", dh), f32(1, 4, "P", dh), f32(1, S, D)]);
    const [x, pk, pv, xa] = g.inputs as [Value, Value, Value, Value];
    const h = ln(g, x, "attn_ln", D);
    const kAll = ops.concat([pk, heads(linear(g, h, "k", D, D, false), "L", dims)], 2);
    const vAll = ops.concat([pv, heads(linear(g, h, "v", D, D), "L", dims)], 2);
    const sa = ops.scaled_dot_product_attention(heads(linear(g, h, "q", D, D), "L", dims), kAll, vAll, { causal: true });
    const x1 = ops.add(x, linear(g, merge(sa, "L", dims), "o", D, D));
    const hc = ln(g, x1, "cross_ln", D);
    const ca = ops.scaled_dot_product_attention(
      heads(linear(g, hc, "cq", D, D), "L", dims), heads(linear(g, xa, "ck", D, D, false), S, dims), heads(linear(g, xa, "cv", D, D), S, dims));
    const x2 = ops.add(x1, linear(g, merge(ca, "L", dims), "co", D, D));
    // The MLP weights are f16: the GEMM reads them as its B operand directly.
    g.output(mlp(g, x2, "mlp", D, "f16"), kAll, vAll);
    const weights = weightsFor(g, 200);
    const step = (L: number, P: number, s: number) => [
      randTensor("f32", [1, L, D], s), randTensor("f32", [1, 4, P, dh], s + 1), randTensor("f32", [1, 4, P, dh], s + 2), randTensor("f32", [1, S, D], s + 3),
    ];
    const exe = (await checkAgainstReference(g, [step(4, 0, 10), step(1, 4, 20), step(1, 23, 30), step(3, 7, 40)], { weights, tol: () => TOL })) as CpuExecutable;
    const att = exe.plan.kernels.filter((k) => k.kind === "attention");
    expect(att.length).toBe(2);
    // Self-attention applies the causal rule itself (no mask in memory); cross-attention has none.
    expect(att.map((k) => k.kind === "attention" && [k.causal, k.mask === null])).toEqual([[true, true], [false, true]]);
    expect(exe.plan.symbols).toEqual(["L", "P"]);
  });

  it("Whisper's conv front end: conv1d 80->384 k3 and 384->384 k3 stride 2 on 3000 frames, with GELU", async () => {
    const g = new Graph("conv_front", [f32(1, 80, 3000)]);
    const c1 = ops.gelu(ops.conv1d(g.inputs[0]!, g.weight("c1.w", f32(384, 80, 3)), g.weight("c1.b", f32(384)), { padding: 1 }));
    const c2 = ops.gelu(ops.conv1d(c1, g.weight("c2.w", f32(384, 384, 3)), g.weight("c2.b", f32(384)), { padding: 1, stride: 2 }));
    g.output(ops.add(ops.permute(c2, [0, 2, 1]), g.weight("pos", f32(1500, 384))));
    const weights = weightsFor(g, 300);
    const exe = (await checkAgainstReference(g, [[randTensor("f32", [1, 80, 3000], 3)]], { weights, tol: () => TOL })) as CpuExecutable;
    expect(exe.plan.kernels.map((k) => (k.kind === "library" ? k.op : k.kind))).toEqual(["im2col", "gemm", "im2col", "gemm", "elementwise"]);
  });

  it("causal attention over a static prompt (mask folded to a constant), lq 7 < lk 9", async () => {
    const g = new Graph("causal_static", [f32(1, 2, 7, 8), f32(1, 2, 9, 8), f32(1, 2, 9, 8)]);
    const [q, k, v] = g.inputs as [Value, Value, Value];
    g.output(ops.scaled_dot_product_attention(q, k, v, { causal: true }));
    const exe = (await checkAgainstReference(g, [[randTensor("f32", [1, 2, 7, 8], 1), randTensor("f32", [1, 2, 9, 8], 2), randTensor("f32", [1, 2, 9, 8], 3)]], { tol: () => TOL })) as CpuExecutable;
    expect(exe.plan.kernels.map((k) => k.kind === "attention" && k.causal)).toEqual([true]);
  });

  it("hand-written attention with a bool mask, residual + layer_norm reuse, and a transposed GEMM operand", async () => {
    const g = new Graph("patterns", [f32(2, "L", 16), f32(2, 9, 16), f32(2, 9, 8), new TensorType("bool", ["L", 9]), f32(2, "L", 8), f32(8), f32(8)]);
    const [q, k, v, m, r, gm, bt] = g.inputs as [Value, Value, Value, Value, Value, Value, Value];
    const scores = ops.add(ops.mul(ops.matmul(q, ops.transpose(k, -1, -2)), 0.25), ops.where(m, 0, -1e9));
    const a = ops.matmul(ops.softmax(scores), v);
    const res = ops.add(a, r);
    const y = ops.layer_norm(res, gm, bt, 1e-5);
    g.output(ops.mul(y, res), ops.matmul(ops.transpose(y, -1, -2), res));
    const ins = (L: number, s: number) => [
      randTensor("f32", [2, L, 16], s), randTensor("f32", [2, 9, 16], s + 1), randTensor("f32", [2, 9, 8], s + 2),
      randTensor("bool", [L, 9], s + 3), randTensor("f32", [2, L, 8], s + 4), randTensor("f32", [8], s + 5), randTensor("f32", [8], s + 6),
    ];
    const exe = (await checkAgainstReference(g, [ins(5, 1), ins(12, 2)], { tol: () => TOL })) as CpuExecutable;
    const kinds = exe.plan.kernels.map((k) => k.kind);
    expect(kinds.filter((k) => k === "attention").length).toBe(1);
    expect(exe.plan.copies).toBe(0);
  });
});

describe("half K/V attention", () => {
  it("reads f16/bf16 K and V in place: the widening casts fold into the attention kernel", async () => {
    for (const dt of ["f16", "bf16"] as const)
      for (const lq of [1, 3, 37]) {
        // A decoder's cross-attention (1 or 3 queries: the row path) and a longer query block
        // (the packed, tiled path), over 97 keys with K and V stored in half precision.
        const g = new Graph(`xattn_${dt}_${lq}`, [f32(1, 2, lq, 64), new TensorType(dt, [1, 2, 97, 64]), new TensorType(dt, [1, 2, 97, 64])]);
        const [q, k, v] = g.inputs as [Value, Value, Value];
        g.output(ops.scaled_dot_product_attention(q, ops.cast(k, "f32"), ops.cast(v, "f32")));
        const ins = [randTensor("f32", [1, 2, lq, 64], 1), randTensor(dt, [1, 2, 97, 64], 2), randTensor(dt, [1, 2, 97, 64], 3)];
        const exe = (await checkAgainstReference(g, [ins], { tol: () => TOL })) as CpuExecutable;
        expect(exe.plan.kernels.map((x) => x.kind), `${dt} lq ${lq}`).toEqual(["attention"]);
        expect(exe.source).toContain(`g.kv_dtype = MW_${dt.toUpperCase()};`);
      }
  });

  it("widens K or V into a temp when only one of them is half", async () => {
    const g = new Graph("mixed_kv", [f32(1, 2, 1, 64), new TensorType("f16", [1, 2, 50, 64]), f32(1, 2, 50, 64)]);
    const [q, k, v] = g.inputs as [Value, Value, Value];
    g.output(ops.scaled_dot_product_attention(q, ops.cast(k, "f32"), v));
    const ins = [randTensor("f32", [1, 2, 1, 64], 1), randTensor("f16", [1, 2, 50, 64], 2), randTensor("f32", [1, 2, 50, 64], 3)];
    const exe = (await checkAgainstReference(g, [ins], { tol: () => TOL })) as CpuExecutable;
    expect(exe.plan.kernels.map((x) => x.kind)).toEqual(["elementwise", "attention"]);
    expect(exe.source).toContain("g.kv_dtype = MW_F32;");
  });
});

describe("large row kernels", () => {
  it("prefetch rows ahead and stream their results past 16 MiB, with the results of the small path", async () => {
    // softmax and layer_norm over ~18 MB, one static and one symbolic (decided at run time),
    // and a small one that must take the plain path. Both paths are checked against the reference.
    const g = new Graph("big_rows", [f32("n", 1500), f32(11000, 400), f32(400), f32(400)]);
    const [x, y, gm, bt] = g.inputs as [Value, Value, Value, Value];
    g.output(ops.softmax(x, -1), ops.layer_norm(y, gm, bt, 1e-5), ops.log_softmax(x, -1));
    const ins = (n: number, s: number) => [randTensor("f32", [n, 1500], s, uniform(-8, 8)), randTensor("f32", [11000, 400], s + 1),
      randTensor("f32", [400], s + 2, uniform(0.8, 1.2)), randTensor("f32", [400], s + 3)];
    const exe = (await checkAgainstReference(g, [ins(3000, 1), ins(5, 2)], { tol: () => TOL })) as CpuExecutable;
    expect(exe.source).toContain("__builtin_prefetch");
    expect(exe.source).toContain("mw_stream_f32(");
    expect(exe.source).toMatch(/const bool mw_big = \(int64_t\)6000 \* \(d_n\) >= 16777216;/);
    expect(exe.source).toContain("const bool mw_big = (int64_t)1600 * 11000 >= 16777216;");
  });
});

describe("threads", () => {
  it("gives identical results for 1 and 2 threads", async () => {
    const g = encoderBlock({ D: 128, H: 2 });
    const weights = weightsFor(g, 500);
    const x = randTensor("f32", [1, 97, 128], 5);
    const one = await compile(g, { device: "cpu", weights, threads: 1 });
    const a = (await one.execute(x))[0]!;
    const two = await compile(g, { device: "cpu", weights, threads: 2 });
    const b = (await two.execute(x))[0]!;
    expect(Buffer.from(b.bytes()).equals(Buffer.from(a.bytes()))).toBe(true);
    const ref = (await (await compile(g, { device: "reference", weights })).execute(x))[0]!;
    expectClose(a, ref, TOL);
  });
});
