// Fusion, views, memory planning and printing of KernelPlans (backend-neutral; no compiler).

import { describe, expect, it } from "vitest";
import { Graph, TensorType, ops, optimize, type Value } from "../index.js";
import { buildPlan, fusionGroups } from "./fuse.js";
import type { KernelPlan } from "./ir.js";
import { peakBytes, planMemory, arenaLayout } from "./memory.js";
import { printPlan } from "./print.js";
import { reshapeStrides } from "./view.js";
import { CExprEmitter, CPP_DIALECT, cDim, cLiteral } from "./c-printer.js";
import { E } from "./expr.js";

const f32 = (...shape: (number | string)[]) => new TensorType("f32", shape);
const plan = (g: Graph): KernelPlan => buildPlan(optimize(g));
const kinds = (p: KernelPlan) => p.kernels.map((k) => (k.kind === "library" ? k.op : k.kind));

/** A Whisper-style pre-norm residual attention block (d 384, 6 heads), as the model builds it. */
export function preNormAttentionBlock(T: number | string = "T", D = 384, H = 6, mlp = true): Graph {
  const g = new Graph("block", [f32(1, T, D)]);
  const x = g.inputs[0]!;
  const w = (n: string, s: number[]) => g.weight(n, f32(...s));
  const lin = (h: Value, n: string, din: number, dout: number, bias = true) => {
    const y = ops.matmul(h, w(`${n}.w`, [din, dout]));
    return bias ? ops.add(y, w(`${n}.b`, [dout])) : y;
  };
  const heads = (t: Value) => ops.permute(ops.reshape(t, [1, T, H, D / H]), [0, 2, 1, 3]);
  const h = ops.layer_norm(x, w("ln1.g", [D]), w("ln1.b", [D]), 1e-5);
  const q = heads(lin(h, "q", D, D)), k = heads(lin(h, "k", D, D, false)), v = heads(lin(h, "v", D, D));
  const a = ops.scaled_dot_product_attention(q, k, v);
  const x1 = ops.add(x, lin(ops.reshape(ops.permute(a, [0, 2, 1, 3]), [1, T, D]), "o", D, D));
  if (!mlp) { g.output(x1); return g; }
  const h2 = ops.layer_norm(x1, w("ln2.g", [D]), w("ln2.b", [D]), 1e-5);
  g.output(ops.add(x1, lin(ops.gelu(lin(h2, "fc1", D, 4 * D)), "fc2", 4 * D, D)));
  return g;
}

describe("fusion", () => {
  it("lowers a ~45-op pre-norm transformer block to 9 kernels with no copies", () => {
    const g = preNormAttentionBlock();
    expect(optimize(g).nodes.length).toBeGreaterThan(40);
    const p = plan(g);
    expect(kinds(p)).toEqual(["row", "gemm", "gemm", "gemm", "attention", "gemm", "row", "gemm", "gemm"]);
    expect(p.copies).toBe(0);
    // Bias, GELU and residual adds ride in GEMM epilogues.
    const gemms = p.kernels.filter((k) => k.kind === "gemm");
    expect(gemms.map((k) => k.name)).toContain("k7_matmul_add_gelu");
    expect(p.symbols).toEqual(["T"]);
    // The attention output is written head-interleaved, so the out projection reads it in place.
    const att = p.kernels[4]!;
    expect(att.kind === "attention" && att.scale).toBeCloseTo(1 / 8);
  });

  it("fuses a hand-written attention with a mask and a divided scale", () => {
    const g = new Graph("attn", [f32(2, "L", 16), f32(2, "S", 16), f32(2, "S", 8), f32("L", "S")]);
    const [q, k, v, m] = g.inputs as [Value, Value, Value, Value];
    g.output(ops.matmul(ops.softmax(ops.add(ops.div(ops.matmul(q, ops.transpose(k, 1, 2)), 4), m)), v));
    const p = plan(g);
    expect(kinds(p)).toEqual(["attention"]);
    const a = p.kernels[0]!;
    if (a.kind !== "attention") throw new Error("expected attention");
    expect(a.scale).toBe(0.25);
    expect(a.mask?.strides).toEqual([0, 0, "S", 1]);
    // k is read through its transpose: rows of K are rows of the input.
    expect(a.k.strides).toEqual([0, "16*S", 16, 1]);
  });

  it("recognises the causal mask (symbolic or folded to a constant) and never stores it", () => {
    for (const [lq, lk] of [["L", "L+P"], [4, 6]] as const) {
      const g = new Graph("causal", [f32(2, lq, 8), f32(2, lk, 8), f32(2, lk, 8)]);
      const [q, k, v] = g.inputs as [Value, Value, Value];
      g.output(ops.scaled_dot_product_attention(q, k, v, { causal: true }));
      const p = plan(g);
      expect(kinds(p)).toEqual(["attention"]);
      const a = p.kernels[0]!;
      expect(a.kind === "attention" && a.causal && a.mask === null).toBe(true);
    }
    // A mask that is not causal (here: anti-causal) stays an ordinary mask.
    const g = new Graph("anti", [f32(4, 8), f32(4, 8), f32(4, 8)]);
    const [q, k, v] = g.inputs as [Value, Value, Value];
    g.output(ops.scaled_dot_product_attention(q, k, v, { mask: ops.permute(ops.causal_mask(4, 4, "f32", g), [1, 0]) }));
    const a = plan(g).kernels.find((x) => x.kind === "attention")!;
    expect(a.kind === "attention" && !a.causal && a.mask !== null).toBe(true);
  });

  it("keeps an attention whose scores are used twice unfused", () => {
    const g = new Graph("attn2", [f32(4, 8), f32(4, 8), f32(4, 8)]);
    const [q, k, v] = g.inputs as [Value, Value, Value];
    const s = ops.matmul(q, ops.transpose(k, 0, 1));
    g.output(ops.matmul(ops.softmax(s), v), s);
    expect(kinds(plan(g))).toEqual(["gemm", "row", "gemm"]);
  });

  it("fuses an elementwise chain with broadcasts and views into one kernel", () => {
    const g = new Graph("chain", [f32(3, "n"), f32("n"), f32("n", 3)]);
    const [a, b, c] = g.inputs as [Value, Value, Value];
    g.output(ops.tanh(ops.mul(ops.add(a, b), ops.permute(c, [1, 0]))));
    const p = plan(g);
    expect(kinds(p)).toEqual(["elementwise"]);
    expect(p.kernels[0]!.name).toBe("k0_add_permute_mul_tanh");
    expect(p.copies).toBe(0);
  });

  it("writes a residual sum from the layer_norm kernel that reads it", () => {
    const g = new Graph("res", [f32(5, 16), f32(5, 16), f32(16), f32(16)]);
    const [x, y, gm, bt] = g.inputs as [Value, Value, Value, Value];
    const r = ops.add(x, y);
    g.output(ops.add(ops.layer_norm(r, gm, bt, 1e-5), r));
    const p = plan(g);
    expect(kinds(p)).toEqual(["row", "elementwise"]);
    const row = p.kernels[0]!;
    expect(row.kind === "row" && row.stores.length).toBe(2);
  });

  it("puts bias, GELU and a residual into the GEMM epilogue, and conv1d becomes im2col + GEMM", () => {
    const g = new Graph("conv", [f32(1, 80, 3000)]);
    const x = g.inputs[0]!;
    const c1 = ops.gelu(ops.conv1d(x, g.weight("c1.w", f32(384, 80, 3)), g.weight("c1.b", f32(384)), { padding: 1 }));
    const c2 = ops.gelu(ops.conv1d(c1, g.weight("c2.w", f32(384, 384, 3)), g.weight("c2.b", f32(384)), { padding: 1, stride: 2 }));
    g.output(ops.permute(c2, [0, 2, 1]));
    const p = plan(g);
    expect(kinds(p)).toEqual(["im2col", "gemm", "im2col", "gemm", "elementwise"]);
    expect(p.kernels[1]!.name).toBe("k1_conv1d_gelu");
  });

  it("materialises a value used by several kernels once, and copies only where a view cannot express it", () => {
    const g = new Graph("multi", [f32(4, 6)]);
    const x = g.inputs[0]!;
    const e = ops.exp(x);
    const t = ops.permute(e, [1, 0]);
    g.output(ops.reshape(t, [24]), ops.add(e, 1));
    const p = plan(g);
    // exp once; the reshape of a transposed buffer needs one copy; add reads exp's buffer.
    expect(kinds(p)).toEqual(["elementwise", "elementwise", "elementwise"]);
    expect(p.copies).toBe(1);
  });

  it("gives toDot the fusion groups and prints the plan readably", () => {
    const g = preNormAttentionBlock(17, 64, 2, false);
    const og = optimize(g);
    const p = buildPlan(og);
    const groups = fusionGroups(p);
    expect(new Set(groups.values()).size).toBe(p.kernels.length);
    expect(og.toDot({ groups })).toContain("cluster");
    const text = printPlan(p);
    expect(text).toMatch(/^plan block: 6 kernels/);
    expect(text).toContain("k0_layer_norm: row");
    expect(text).toContain("attention");
  });
});

describe("memory planning", () => {
  it("reuses arena slots for temps whose lifetimes do not overlap", () => {
    const g = new Graph("mlp", [f32("T", 64)]);
    let h = g.inputs[0]!;
    for (let i = 0; i < 6; i++) h = ops.gelu(ops.matmul(h, g.weight(`w${i}`, f32(64, 64))));
    g.output(h);
    const p = plan(g);
    const mem = planMemory(p);
    expect(mem.slotOf.size).toBe(5);
    expect(mem.slots.length).toBe(2);
    const pk = peakBytes(p, { T: 100 }, mem);
    expect(pk.arena).toBe(2 * 100 * 64 * 4);
    expect(pk.unshared).toBe(5 * 100 * 64 * 4);
    expect(pk.outputs).toBe(100 * 64 * 4);
    // Sizes follow the dims at run time; offsets never overlap live buffers.
    const lay = arenaLayout(p, mem, { T: 7 });
    expect(lay.arenaBytes).toBe(2 * Math.ceil((7 * 64 * 4) / 64) * 64);
  });
});

describe("views", () => {
  it("reshapes strided views when axes stay progressions, and refuses otherwise", () => {
    expect(reshapeStrides([2, 3, 4], [12, 4, 1], [6, 4])).toEqual([4, 1]);
    expect(reshapeStrides([1, "T", 384], ["384*T", 384, 1], [1, "T", 6, 64])).toEqual(["384*T", 384, 64, 1]);
    // Every other row of a [T, 768] buffer, split into heads, is still one view.
    expect(reshapeStrides([1, "T", 384], [0, 768, 1], [1, "T", 6, 64])).toEqual([0, 768, 64, 1]);
    // 3 and n divide neither way: the grouping grows until the products meet.
    expect(reshapeStrides([3, "n", 2], ["4*n", 4, 2], ["3*n", 2])).toEqual([4, 2]);
    // A transposed [3, 2] cannot be flattened.
    expect(reshapeStrides([3, 2], [1, 3], [6])).toBeNull();
    expect(reshapeStrides([4, 1, 5], [5, 0, 1], [4, 5, 1])).toEqual([5, 1, 1]);
    expect(reshapeStrides([4, 1, 5], [10, 0, 2], [4, 5, 1])).toEqual([10, 2, 0]);
  });
});

describe("C expression printer", () => {
  it("prints exact f32 literals and reuses equal subexpressions", () => {
    expect(cLiteral(0.1, "f32")).toBe("0.100000001f");
    expect(cLiteral(-Infinity, "f32")).toBe("(-INFINITY)");
    expect(cLiteral(3, "i64")).toBe("(int64_t)3LL");
    expect(cDim("2*seq+1", (s) => `d_${s}`)).toBe("(2*d_seq+1)");
    const em = new CExprEmitter(CPP_DIALECT, { arg: (i) => `a${i}`, var: (n) => n, dim: (d) => String(d) });
    const x = E.un("exp", E.arg(0, "f32"), "f32");
    const y = E.bin("add", x, x, "f32");
    expect(em.emit(y)).toBe("t1");
    expect(em.lines).toEqual(["const float t0 = expf(a0);", "const float t1 = (t0 + t0);"]);
  });

  it("converts half loads and rounds explicit casts through the storage format", () => {
    const em = new CExprEmitter(CPP_DIALECT, { arg: (i) => `a${i}`, var: (n) => n, dim: String });
    em.emit(E.cast(E.arg(0, "f32"), "f16"));
    expect(em.lines[0]).toBe("const float t0 = mw_h2f(mw_f2h((float)(a0)));");
  });
});

