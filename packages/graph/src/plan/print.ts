// printPlan: a KernelPlan as readable text (buffers, then one block per kernel with its loads,
// reductions and stores), for debugging, tests and docs.

import { exprToString, type Expr } from "./expr.js";
import type { Kernel, KernelPlan, Store, View } from "./ir.js";

function viewStr(plan: KernelPlan, v: View): string {
  const b = plan.buffers[v.buffer]!;
  const off = v.offset === 0 ? "" : `+${v.offset}`;
  return `${bufName(plan, v.buffer)}${off}<${v.strides.join(",")}>:${b.dtype}`;
}

function bufName(plan: KernelPlan, id: number): string {
  const b = plan.buffers[id]!;
  switch (b.kind) {
    case "input": return `in${b.index}`;
    case "output": return `out${b.index}`;
    case "weight": return `w(${b.name})`;
    case "constant": return `const${b.id}`;
    case "temp": return `t${b.id}`;
  }
}

function exprStr(e: Expr, loads: readonly View[], plan: KernelPlan): string {
  return exprToString(e, (i) => (loads[i] ? `${bufName(plan, loads[i]!.buffer)}[]` : `$${i}`));
}

function storesStr(plan: KernelPlan, stores: readonly Store[], loads: readonly View[], pad: string): string[] {
  return stores.map((s) => `${pad}${viewStr(plan, s.view)} = ${exprStr(s.expr, loads, plan)}`);
}

function kernelStr(plan: KernelPlan, k: Kernel): string[] {
  const nodes = k.nodes.length ? `  (nodes ${[...k.nodes].sort((a, b) => a - b).map((n) => `%${n}`).join(" ")})` : "";
  const head = `${k.name}: ${k.kind}${k.kind === "library" ? ` ${k.op}` : ""}${nodes}`;
  const out = [head];
  switch (k.kind) {
    case "elementwise":
      out.push(`  over [${k.shape.join(", ")}]`);
      k.loads.forEach((v, i) => out.push(`  load $${i} ${viewStr(plan, v)}`));
      out.push(...storesStr(plan, k.stores, k.loads, "  store "));
      break;
    case "row":
      out.push(`  rows [${k.outer.join(", ")}] x inner [${k.inner.join(", ")}]`);
      k.loads.forEach((v, i) => out.push(`  load $${i} ${viewStr(plan, v)}`));
      for (const r of k.reductions) out.push(`  ${r.name} = ${r.op}(${exprStr(r.expr, k.loads, plan)})`);
      out.push(...storesStr(plan, k.stores, k.loads, "  store "));
      out.push(...storesStr(plan, k.rowStores, k.loads, "  store/row "));
      break;
    case "gemm":
      out.push(`  [${k.batch.join(", ")}] ${k.m}x${k.n}x${k.k}  A ${viewStr(plan, k.a)}  B ${viewStr(plan, k.b)}  C ${viewStr(plan, k.c)}${k.alpha !== 1 ? `  alpha ${k.alpha}` : ""}`);
      if (k.epilogue) {
        k.epilogue.loads.forEach((v, i) => out.push(`  epilogue load $${i} ${viewStr(plan, v)}`));
        out.push(...storesStr(plan, k.epilogue.stores, k.epilogue.loads, "  epilogue store "));
      }
      break;
    case "attention":
      out.push(`  batch ${k.batch} heads ${k.heads} lq ${k.lq} lk ${k.lk} d ${k.d} dv ${k.dv} scale ${k.scale}${k.causal ? " causal" : ""}`);
      out.push(`  Q ${viewStr(plan, k.q)}  K ${viewStr(plan, k.k)}  V ${viewStr(plan, k.v)}${k.mask ? `  mask ${viewStr(plan, k.mask)}` : ""}`);
      out.push(`  -> ${viewStr(plan, k.out)}`);
      break;
    case "library": {
      const { kind: _k, name: _n, nodes: _ns, op: _o, ...rest } = k as unknown as Record<string, unknown>;
      const parts = Object.entries(rest).map(([key, v]) =>
        typeof v === "object" && v !== null && "buffer" in v ? `${key} ${viewStr(plan, v as View)}` : `${key} ${String(v)}`);
      out.push(`  ${parts.join("  ")}`);
      break;
    }
  }
  return out;
}

export function printPlan(plan: KernelPlan): string {
  const lines = [`plan ${plan.graphName}: ${plan.kernels.length} kernels, ${plan.buffers.length} buffers, ${plan.copies} copies${plan.symbols.length ? `, dims (${plan.symbols.join(", ")})` : ""}`];
  for (const b of plan.buffers) lines.push(`  ${bufName(plan, b.id)}: ${b.kind} ${b.dtype}[${b.shape.join(", ")}]`);
  for (const k of plan.kernels) lines.push(...kernelStr(plan, k));
  return lines.join("\n");
}
