// Fusion and lowering: Graph -> KernelPlan. Walks the nodes in order keeping each value lazy
// (an expression over strided loads, possibly on top of a draft GEMM or row kernel) for as long
// as its consumers can absorb it, and emits a kernel only when a value must exist in memory.
// Backend-neutral: the plan says what to compute, never how a device runs it.

import { type Dim, dim, dimAdd, dimEq, dimMul, dimProduct, dimSub, isSymbolName } from "../dim.js";
import { type DType, readElement } from "../dtype.js";
import { GraphError, UnsupportedOpError } from "../errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { getOp } from "../ops/registry.js";
import { pySlice } from "../ops/movement.js";
import { broadcastShapes, normAxes, normAxis } from "../ops/util.js";
import { E, type Expr, exprCost, exprUses, mapExpr, substArgs } from "./expr.js";
import type {
  Kernel, KernelPlan, PlanBuffer, PlanOutput, Reduction, Store, View, BufferKind,
} from "./ir.js";
import { ROW_RULES } from "./rules.js";
import {
  broadcastView, contiguousView, isContiguous, permuteView, reshapeView, sliceAxis, viewKey,
} from "./view.js";

export interface PlanOptions {
  /** Backend name for UnsupportedOpError messages (default "plan"). */
  backend?: string;
  /** Fuse the attention pattern into one kernel (default true). */
  attention?: boolean;
  /**
   * The backend's attention kernel reads f16/bf16 K and V in place (both of one dtype), so a
   * cast of stored half K/V to f32 is absorbed instead of materialised (default false).
   */
  halfKV?: boolean;
}

/** A load source of a lazy value: memory through a view, or the result of its draft kernel. */
type Src = { readonly kind: "view"; readonly view: View } | { readonly kind: "acc" };

interface GemmDraft {
  readonly kind: "gemm";
  readonly batch: Dim[]; readonly m: Dim; readonly n: Dim; readonly k: Dim;
  readonly a: View; readonly b: View; readonly bDType: DType; readonly alpha: number;
  /** The node's output shape and the same shape as batch ++ [m, n]. */
  readonly outShape: readonly Dim[]; readonly expShape: readonly Dim[];
  readonly nodes: number[];
  owner: number; done: boolean;
}

interface RowDraft {
  readonly kind: "row";
  readonly outer: Dim[]; readonly inner: Dim[];
  readonly loads: View[];
  readonly reductions: Reduction[];
  /** The op's output value in the row's load space. */
  readonly out: Expr;
  readonly perRow: boolean;
  /** Strides over the op's output shape -> strides over outer ++ inner. */
  readonly toDomain: (strides: readonly Dim[]) => Dim[];
  /** Values of multi-use prologues written on the way (residual + layer_norm). */
  readonly sideStores: Store[];
  readonly nodes: number[];
  owner: number; done: boolean;
}

type Draft = GemmDraft | RowDraft;

/** A value not yet (necessarily) in memory. */
interface Lazy {
  readonly shape: readonly Dim[];
  readonly dtype: DType;
  readonly expr: Expr;
  readonly srcs: readonly Src[];
  readonly producer?: Draft;
  /** Graph nodes folded into this value that no kernel has claimed yet. */
  readonly nodes: readonly number[];
  /** Multi-use value kept lazy so the row kernel that reads it first also writes it. */
  pendingStore?: boolean;
  /** This view's buffer is written by a draft not yet emitted. */
  pendingBy?: Draft;
}

interface AttentionMatch {
  readonly q: number; readonly kt: number; readonly v: number;
  readonly masks: number[]; readonly scale: number; readonly absorbed: number[];
  /** One of the masks was the causal mask: the kernel applies it without reading memory. */
  readonly causal: boolean;
}

const sameShape = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => dimEq(d, b[i]!));

/** Build the kernel plan of a graph (run the optimisation passes first). */
export function buildPlan(graph: Graph, opts: PlanOptions = {}): KernelPlan {
  return new PlanBuilder(graph, opts).build();
}

class PlanBuilder {
  private readonly buffers: PlanBuffer[] = [];
  private readonly kernels: Kernel[] = [];
  private readonly values = new Map<number, Lazy>();
  private readonly groups = new Map<number, number>();
  private users: number[][];
  private readonly outputPositions = new Map<number, number[]>();
  private readonly weightBuffers = new Map<string, number>();
  private readonly attention = new Map<number, AttentionMatch>();
  private readonly absorbed = new Set<number>();
  private copies = 0;
  private readonly backend: string;
  /** Nodes the outputs depend on (others are skipped). */
  private needed: boolean[];

  constructor(private readonly graph: Graph, private readonly opts: PlanOptions) {
    this.backend = opts.backend ?? "plan";
    const needed = new Array<boolean>(graph.nodes.length).fill(false);
    for (const id of graph.outputNodeIds) needed[id] = true;
    for (let i = graph.nodes.length - 1; i >= 0; i--) if (needed[i]) for (const j of graph.nodes[i]!.inputs) needed[j] = true;
    this.users = graph.nodes.map(() => []);
    for (const n of graph.nodes)
      if (needed[n.id]) for (const j of new Set(n.inputs)) this.users[j]!.push(n.id);
    graph.outputNodeIds.forEach((id, pos) => this.outputPositions.set(id, [...(this.outputPositions.get(id) ?? []), pos]));
    this.needed = needed;
  }

  build(): KernelPlan {
    const g = this.graph;
    // Inputs get buffers up front, in graph order, so execute binds them by position.
    for (const v of g.inputs) {
      const b = this.newBuffer("input", v.dtype, v.shape);
      b.index = v.node.attrs.index as number;
      this.values.set(v.id, this.viewLazy(contiguousView(b.id, v.shape), v.shape, v.dtype));
    }
    if (this.opts.attention !== false) this.matchAttention();
    for (const node of g.nodes) {
      if (!this.needed[node.id] || this.absorbed.has(node.id)) continue;
      if (node.op !== "input") this.values.set(node.id, this.lower(node));
      this.afterNode(node);
    }
    const outputs: PlanOutput[] = g.outputNodeIds.map((id, pos) => {
      const buf = this.buffers.find((b) => b.kind === "output" && b.index === pos);
      if (!buf) throw new GraphError(`[plan] internal: output ${pos} (node %${id}) was not materialised`);
      return { buffer: buf.id, shape: g.nodes[id]!.type.shape, dtype: g.nodes[id]!.type.dtype };
    });
    const symbols: string[] = [];
    for (const v of g.inputs)
      for (const d of v.shape) if (typeof d === "string" && isSymbolName(d) && !symbols.includes(d)) symbols.push(d);
    return {
      graphName: g.name, buffers: this.buffers, kernels: this.kernels, symbols, outputs,
      groups: this.groups, copies: this.copies,
    };
  }

  // ---- buffers, lazies and kernels ----------------------------------------------------------

  private newBuffer(kind: BufferKind, dtype: DType, shape: readonly Dim[]): PlanBuffer {
    const b: PlanBuffer = { id: this.buffers.length, kind, dtype, size: dimProduct(shape), shape };
    this.buffers.push(b);
    return b;
  }

  private viewLazy(view: View, shape: readonly Dim[], dtype: DType): Lazy {
    return { shape, dtype, expr: E.arg(0, dtype), srcs: [{ kind: "view", view }], nodes: [] };
  }

  /** The lazy is a plain read of memory (no computation, no draft). */
  private trivialView(l: Lazy): View | undefined {
    if (l.producer || l.expr.k !== "arg") return undefined;
    const s = l.srcs[l.expr.arg]!;
    if (s.kind !== "view" || this.buffers[s.view.buffer]!.dtype !== l.dtype) return undefined;
    return s.view;
  }

  private emit(k: Kernel): void {
    this.kernels.push(k);
    for (const id of k.nodes) this.groups.set(id, this.kernels.length - 1);
  }

  private kernelName(nodes: readonly number[], fallback: string): string {
    const ops: string[] = [];
    for (const id of [...nodes].sort((a, b) => a - b)) {
      const op = this.graph.nodes[id]!.op;
      if (getOp(op).fusion === "source" || ops.includes(op)) continue;
      ops.push(op);
    }
    const body = ops.length ? ops.slice(0, 4).join("_") + (ops.length > 4 ? "_etc" : "") : fallback;
    return `k${this.kernels.length}_${body}`;
  }

  /** Concatenate the sources of several lazies (deduplicating equal loads); returns each one's expr remapped. */
  private merge(parts: readonly Lazy[]): { srcs: Src[]; exprs: Expr[]; nodes: number[]; producer?: Draft } {
    const srcs: Src[] = [];
    const keys = new Map<string, number>();
    const exprs: Expr[] = [];
    const nodes: number[] = [];
    let producer: Draft | undefined;
    for (const p of parts) {
      const map = p.srcs.map((s) => {
        const key = s.kind === "acc" ? "acc" : viewKey(s.view);
        let i = keys.get(key);
        if (i === undefined) {
          i = srcs.length;
          srcs.push(s);
          keys.set(key, i);
        }
        return i;
      });
      exprs.push(mapExpr(p.expr, (x) => (x.k === "arg" ? { ...x, arg: map[x.arg]! } : x)));
      nodes.push(...p.nodes);
      if (p.producer) producer = p.producer;
    }
    return { srcs, exprs, nodes, producer };
  }

  /**
   * Put a lazy value in memory: through `target` when given, else into a new temp (or return its
   * own view when it already is one). Emits the kernel that computes it.
   */
  private materialize(l: Lazy, target?: View, copy = false): View {
    if (!target) {
      const v = this.trivialView(l);
      if (v) return v;
      target = contiguousView(this.newBuffer("temp", l.dtype, l.shape).id, l.shape);
    }
    if (l.producer) {
      if (l.producer.done) throw new GraphError(`[plan] internal: draft kernel emitted twice`);
      l.producer.done = true;
      if (l.producer.kind === "gemm") this.finishGemm(l, l.producer, target);
      else this.finishRow(l, l.producer, target);
      return target;
    }
    if (copy || exprIsLoad(l.expr)) this.copies++;
    const loads = l.srcs.map((s) => (s as { view: View }).view);
    this.emit({
      kind: "elementwise", name: this.kernelName(l.nodes, "copy"), nodes: l.nodes,
      shape: l.shape, loads, stores: [{ view: target, expr: castTo(l.expr, l.dtype) }],
    });
    return target;
  }

  private materialized(l: Lazy, copy = false): Lazy {
    return this.viewLazy(this.materialize(l, undefined, copy), l.shape, l.dtype);
  }

  /** Read a lazy through NumPy broadcasting as `to`, materialising first when recomputation would cost. */
  private broadcast(l: Lazy, to: readonly Dim[]): Lazy {
    if (sameShape(l.shape, to)) return l;
    const cheap = !l.producer && !hasIndex(l.expr) && (this.trivialView(l) !== undefined || exprCost(l.expr) <= 1 || l.srcs.length === 0);
    const base = cheap ? l : this.materialized(l);
    return this.transform(base, to, (v) => broadcastView(v, base.shape, to));
  }

  /** Apply a view transform to every load of a lazy; materialise it when some load cannot follow. */
  private transform(l: Lazy, to: readonly Dim[], f: (v: View) => View | null): Lazy {
    if (l.producer || hasIndex(l.expr)) l = this.materialized(l);
    const srcs = l.srcs.map((s) => (s.kind === "view" ? f(s.view) : null));
    if (srcs.every((s) => s !== null))
      return { ...l, shape: to, srcs: srcs.map((view) => ({ kind: "view", view: view! })), pendingStore: false };
    const v = f(this.contiguous(l));
    if (!v) throw new GraphError(`[plan] internal: a view transform failed on a contiguous buffer`);
    return { ...this.viewLazy(v, to, l.dtype), shape: to };
  }

  /** Resolve what must happen before a node's value is read (pending multi-use stores). */
  private prepare(id: number, forRow: boolean): void {
    const l = this.values.get(id);
    if (!l) throw new GraphError(`[plan] internal: node %${id} has no value`);
    if (l.pendingStore && !forRow) {
      this.values.set(id, { ...this.materialized(l), nodes: [] });
    } else if (l.pendingBy && !l.pendingBy.done) {
      const owner = l.pendingBy.owner;
      const ol = this.values.get(owner)!;
      this.values.set(owner, this.materialized(ol));
    }
  }

  private use(id: number): Lazy {
    this.prepare(id, false);
    return this.values.get(id)!;
  }

  /** After a node's value exists: outputs go to their buffers, multi-use values to memory. */
  private afterNode(node: Node): void {
    let l = this.values.get(node.id)!;
    if (l.producer) l.producer.owner = node.id;
    const positions = this.outputPositions.get(node.id);
    if (positions) {
      const [first, ...rest] = positions;
      const v = this.trivialView(l);
      const buf = v && this.buffers[v.buffer]!;
      let view: View;
      if (buf && buf.kind === "temp" && dimEq(v.offset, 0) && isContiguous(v, l.shape) && dimEq(buf.size, dimProduct(l.shape))) {
        // The value already sits alone in a temp: let that temp be the output.
        buf.kind = "output";
        buf.index = first;
        buf.shape = l.shape;
        view = v;
      } else {
        const out = this.newBuffer("output", l.dtype, l.shape);
        out.index = first;
        view = this.materialize(l, contiguousView(out.id, l.shape), v !== undefined);
      }
      l = this.viewLazy(view, l.shape, l.dtype);
      for (const pos of rest) {
        const out = this.newBuffer("output", l.dtype, l.shape);
        out.index = pos;
        this.materialize(l, contiguousView(out.id, l.shape), true);
      }
      this.values.set(node.id, l);
      return;
    }
    const users = this.users[node.id]!;
    // Plain reads and literals cost nothing to repeat in every consumer.
    if (users.length <= 1 || this.trivialView(l) || (l.srcs.length === 0 && !hasIndex(l.expr))) return;
    const first = this.graph.nodes[users[0]!]!;
    if (!l.producer && !hasIndex(l.expr) && ROW_RULES[first.op] && first.inputs[0] === node.id && !first.inputs.slice(1).includes(node.id)) {
      l.pendingStore = true;
      return;
    }
    this.values.set(node.id, this.materialized(l));
  }

  // ---- lowering per fusion class ---------------------------------------------------------------

  private lower(node: Node): Lazy {
    const def = getOp(node.op);
    const t = node.type;
    if (this.attention.has(node.id)) return this.lowerAttention(node, this.attention.get(node.id)!);
    switch (def.fusion) {
      case "source": return this.lowerSource(node);
      case "elementwise": return this.lowerElementwise(node);
      case "movement": return this.lowerMovement(node);
      case "reduction":
        if (ROW_RULES[node.op]) return this.lowerRow(node);
        if (node.op === "argmax") return this.lowerArgmax(node);
        break;
      case "contraction":
        if (node.op === "matmul") return this.lowerMatmul(node);
        break;
      case "opaque":
        if (node.op === "gather") return this.lowerGather(node);
        if (node.op === "conv1d") return this.lowerConv1d(node);
        break;
    }
    throw new UnsupportedOpError(node.op, t.dtype, this.backend, `no lowering for this op (node %${node.id})`);
  }

  private lowerSource(node: Node): Lazy {
    const t = node.type;
    if (node.op === "constant") {
      const data = this.graph.constants.get(node.id)!;
      // Scalars become literals in the kernels that read them.
      if (data.size === 1) return { shape: t.shape, dtype: t.dtype, expr: E.c(readElement(t.dtype, data.data, 0), t.dtype), srcs: [], nodes: [] };
      const b = this.newBuffer("constant", t.dtype, t.shape);
      b.data = data;
      return this.viewLazy(contiguousView(b.id, t.shape), t.shape, t.dtype);
    }
    if (node.op === "weight") {
      const name = node.attrs.name as string;
      let id = this.weightBuffers.get(name);
      if (id === undefined) {
        const b = this.newBuffer("weight", t.dtype, t.shape);
        b.name = name;
        id = b.id;
        this.weightBuffers.set(name, id);
      }
      return this.viewLazy(contiguousView(id, t.shape), t.shape, t.dtype);
    }
    throw new UnsupportedOpError(node.op, t.dtype, this.backend, `unknown source op (node %${node.id})`);
  }

  private lowerElementwise(node: Node): Lazy {
    const def = getOp(node.op);
    const out = node.type.shape;
    for (const id of node.inputs) this.prepare(id, false);
    // mul(x, x) on a draft: both reads must see the same stored value.
    for (const [i, id] of node.inputs.entries())
      if (node.inputs.indexOf(id) !== i && this.values.get(id)!.producer) this.values.set(id, this.materialized(this.values.get(id)!));
    let producerTaken = false;
    const parts = node.inputs.map((id) => {
      let l = this.values.get(id)!;
      // One draft GEMM/row kernel may carry this op as its epilogue, if nothing broadcasts it.
      if (l.producer && (producerTaken || !sameShape(l.shape, out))) l = this.materialized(l);
      if (l.producer) producerTaken = true;
      return this.broadcast(l, out);
    });
    const m = this.merge(parts);
    if (!def.expr) throw new UnsupportedOpError(node.op, node.type.dtype, this.backend, `elementwise op without an expression`);
    const expr = def.expr(m.exprs, node.attrs as never, { inputs: node.inputs.map((i) => this.graph.nodes[i]!.type), output: node.type });
    return { shape: out, dtype: node.type.dtype, expr, srcs: m.srcs, producer: m.producer, nodes: [...m.nodes, node.id] };
  }

  private lowerMovement(node: Node): Lazy {
    const x = this.graph.nodes[node.inputs[0]!]!;
    const from = x.type.shape, to = node.type.shape;
    const a = node.attrs as Record<string, unknown>;
    const withNode = (l: Lazy): Lazy => ({ ...l, nodes: [...l.nodes, node.id] });
    switch (node.op) {
      case "permute": {
        const perm = normAxes("permute", a.dims as number[], from.length);
        return withNode(this.transform(this.use(x.id), to, (v) => permuteView(v, perm)));
      }
      case "reshape":
        return withNode(this.transform(this.use(x.id), to, (v) => reshapeView(v, from, to)));
      case "broadcast_to":
        return withNode(this.broadcast(this.use(x.id), to));
      case "slice": {
        const specs = sliceStarts(a, from);
        return withNode(this.transform(this.use(x.id), to, (v) => specs.reduce((acc, s) => sliceAxis(acc, s.axis, s.start, s.step), v)));
      }
      case "concat": {
        const axis = normAxis("concat", a.axis as number, to.length);
        const buf = this.newBuffer("temp", node.type.dtype, to);
        const base = contiguousView(buf.id, to);
        let off: Dim = 0;
        for (const id of node.inputs) {
          const xi = this.graph.nodes[id]!;
          const l = this.use(id);
          const target = { ...base, offset: dimMul(off, base.strides[axis]!) };
          this.materialize({ ...l, nodes: [...l.nodes, node.id] }, target, this.trivialView(l) !== undefined);
          off = dimAdd(off, xi.type.shape[axis]!);
        }
        return this.viewLazy(base, to, node.type.dtype);
      }
      case "pad": {
        const pads = a.pads as [number, number][];
        const buf = this.newBuffer("temp", node.type.dtype, to);
        const base = contiguousView(buf.id, to);
        const dt = node.type.dtype;
        if (pads.some(([b, e]) => b > 0 || e > 0))
          this.emit({ kind: "elementwise", name: this.kernelName([node.id], "fill"), nodes: [node.id], shape: to, loads: [], stores: [{ view: base, expr: E.c(a.value as number, dt) }] });
        const offset = pads.reduce<Dim>((acc, [b], i) => dimAdd(acc, dimMul(b, base.strides[i]!)), 0);
        const l = this.use(x.id);
        this.materialize({ ...l, nodes: [...l.nodes, node.id] }, { ...base, offset }, this.trivialView(l) !== undefined);
        return this.viewLazy(base, to, dt);
      }
    }
    throw new UnsupportedOpError(node.op, node.type.dtype, this.backend, `no lowering for this movement op (node %${node.id})`);
  }

  private lowerRow(node: Node): Lazy {
    const xs = this.graph.nodes[node.inputs[0]!]!.type.shape;
    const rank = xs.length;
    const rule = ROW_RULES[node.op]!(node, xs);
    const axes = rule.axes;
    const outerAxes = xs.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...outerAxes, ...axes];
    for (const [i, id] of node.inputs.entries()) this.prepare(id, i === 0);
    const side: { id: number; lazy: Lazy }[] = [];
    const parts = node.inputs.map((id, i) => {
      let l = this.values.get(id)!;
      if (i === 0 && l.pendingStore) side.push({ id, lazy: l });
      if (l.producer || hasIndex(l.expr)) l = this.materialized(l);
      return this.broadcast(l, xs);
    });
    const m = this.merge(parts);
    const loads = m.srcs.map((s) => permuteView((s as { view: View }).view, perm));
    const sub = (e: Expr) => substArgs(e, m.exprs);
    const toDomain = rule.perRow
      ? (st: readonly Dim[]) => {
          // Output axis of each kept input axis (reduced axes are size 1 or absent in the output).
          const outAxis = new Map<number, number>();
          let j = 0;
          for (let i = 0; i < rank; i++) {
            if (!axes.includes(i)) outAxis.set(i, j);
            if (!axes.includes(i) || rule.keepdims) j++;
          }
          return [...outerAxes.map((a) => st[outAxis.get(a)!]!), ...axes.map(() => 0 as Dim)];
        }
      : (st: readonly Dim[]) => perm.map((p) => st[p]!);
    const draft: RowDraft = {
      kind: "row", outer: outerAxes.map((a) => xs[a]!), inner: axes.map((a) => xs[a]!), loads,
      reductions: rule.reductions.map((r) => ({ ...r, expr: sub(r.expr) })), out: sub(rule.out), perRow: rule.perRow,
      toDomain, sideStores: [], nodes: [...m.nodes, node.id], owner: node.id, done: false,
    };
    for (const s of side) {
      // The multi-use prologue (e.g. the residual sum) is written by this kernel on the way.
      const b = this.newBuffer("temp", s.lazy.dtype, xs);
      const view = contiguousView(b.id, xs);
      draft.sideStores.push({ view: permuteView(view, perm), expr: castTo(m.exprs[0]!, s.lazy.dtype) });
      this.values.set(s.id, { ...this.viewLazy(view, xs, s.lazy.dtype), pendingBy: draft });
    }
    return { shape: node.type.shape, dtype: node.type.dtype, expr: E.arg(0, node.type.dtype), srcs: [{ kind: "acc" }], producer: draft, nodes: [] };
  }

  private finishRow(l: Lazy, d: RowDraft, target: View): void {
    const loads = [...d.loads];
    const keys = new Map(loads.map((v, i) => [viewKey(v), i]));
    const argMap = l.srcs.map((s) => {
      if (s.kind === "acc") return -1;
      const v = { ...s.view, strides: d.toDomain(s.view.strides) };
      const key = viewKey(v);
      let i = keys.get(key);
      if (i === undefined) { i = loads.length; loads.push(v); keys.set(key, i); }
      return i;
    });
    const expr = mapExpr(l.expr, (x) => (x.k === "arg" ? (argMap[x.arg] === -1 ? d.out : { ...x, arg: argMap[x.arg]! }) : x));
    const store: Store = { view: { ...target, strides: d.toDomain(target.strides) }, expr: castTo(expr, l.dtype) };
    const nodes = [...d.nodes, ...l.nodes];
    this.emit({
      kind: "row", name: this.kernelName(nodes, "row"), nodes, outer: d.outer, inner: d.inner, loads,
      reductions: d.reductions,
      stores: [...d.sideStores, ...(d.perRow ? [] : [store])],
      rowStores: d.perRow ? [store] : [],
    });
  }

  private lowerArgmax(node: Node): Lazy {
    const x = this.graph.nodes[node.inputs[0]!]!;
    const xs = x.type.shape;
    const axis = normAxis("argmax", (node.attrs.axis as number | undefined) ?? -1, xs.length);
    const xv = this.contiguous(this.use(x.id));
    const out = this.newBuffer("temp", "i32", node.type.shape);
    const ov = contiguousView(out.id, node.type.shape);
    this.emit({
      kind: "library", op: "argmax", name: this.kernelName([node.id], "argmax"), nodes: [node.id],
      outer: dimProduct(xs.slice(0, axis)), len: xs[axis]!, inner: dimProduct(xs.slice(axis + 1)),
      x: xv, dtype: x.type.dtype, out: ov,
    });
    return this.viewLazy(ov, node.type.shape, "i32");
  }

  /** A contiguous view of the value (copying when its view is strided or it is computed). */
  private contiguous(l: Lazy, dtype: DType = l.dtype): View {
    const v = this.trivialView(l);
    if (v && dtype === l.dtype && isContiguous(v, l.shape)) return v;
    const cast: Lazy = dtype === l.dtype ? l : { ...l, dtype, expr: castTo(l.expr, dtype) };
    const b = this.newBuffer("temp", dtype, l.shape);
    return this.materialize(cast, contiguousView(b.id, l.shape), v !== undefined && dtype === l.dtype);
  }

  private lowerGather(node: Node): Lazy {
    const [xn, inn] = node.inputs.map((i) => this.graph.nodes[i]!) as [Node, Node];
    const xs = xn.type.shape;
    const axis = normAxis("gather", (node.attrs.axis as number | undefined) ?? 0, xs.length);
    const xv = this.contiguous(this.use(xn.id));
    const iv = this.contiguous(this.use(inn.id));
    const out = this.newBuffer("temp", node.type.dtype, node.type.shape);
    const ov = contiguousView(out.id, node.type.shape);
    this.emit({
      kind: "library", op: "gather", name: this.kernelName([node.id], "gather"), nodes: [node.id],
      outer: dimProduct(xs.slice(0, axis)), len: xs[axis]!, count: dimProduct(inn.type.shape), inner: dimProduct(xs.slice(axis + 1)),
      x: xv, indices: iv, indexDType: inn.type.dtype, out: ov, dtype: node.type.dtype,
    });
    return this.viewLazy(ov, node.type.shape, node.type.dtype);
  }

  private lowerMatmul(node: Node): Lazy {
    const [an, bn] = node.inputs.map((i) => this.graph.nodes[i]!) as [Node, Node];
    const dt = node.type.dtype;
    if (dt !== "f32" && dt !== "f16" && dt !== "bf16") throw new UnsupportedOpError("matmul", dt, this.backend);
    const al = this.use(an.id), bl = this.use(bn.id);
    // A is read as f32; B may stay f16/bf16 (the GEMM converts it while packing).
    // Nodes of a lazy that is read in place (a transposed view) belong to this kernel; a
    // materialised operand's nodes went to the kernel that stored it.
    const own: number[] = [];
    let av = al.dtype === "f32" ? this.trivialView(al) : undefined;
    if (av) own.push(...al.nodes);
    else av = this.contiguous(al, "f32");
    let bv = this.trivialView(bl);
    let bDType = bl.dtype;
    const half = halfSource(bl, this.buffers);
    if (half) {
      // cast(f16/bf16 weight -> f32) as B: the GEMM converts while packing, nothing is stored.
      bv = half.view;
      bDType = half.dtype;
      own.push(...bl.nodes);
    } else if (bv) own.push(...bl.nodes);
    else bv = this.materialize(bl);
    const as = an.type.shape, bs = bn.type.shape;
    const a2 = as.length === 1 ? { shape: [1, as[0]!], view: { ...av, strides: [0, av.strides[0]!] } } : { shape: as, view: av };
    const b2 = bs.length === 1 ? { shape: [bs[0]!, 1], view: { ...bv, strides: [bv.strides[0]!, 0] } } : { shape: bs, view: bv };
    const m = a2.shape[a2.shape.length - 2]!, k = a2.shape[a2.shape.length - 1]!, n = b2.shape[b2.shape.length - 1]!;
    const batch = broadcastShapes("matmul", [a2.shape.slice(0, -2), b2.shape.slice(0, -2)]);
    const draft: GemmDraft = {
      kind: "gemm", batch, m, n, k,
      a: broadcastView(a2.view, a2.shape, [...batch, m, k]), b: broadcastView(b2.view, b2.shape, [...batch, k, n]),
      bDType, alpha: 1, outShape: node.type.shape, expShape: [...batch, m, n],
      nodes: [...own, node.id], owner: node.id, done: false,
    };
    return { shape: node.type.shape, dtype: dt, expr: E.arg(0, dt), srcs: [{ kind: "acc" }], producer: draft, nodes: [] };
  }

  private finishGemm(l: Lazy, d: GemmDraft, target: View): void {
    const toExp = (v: View): View => {
      const r = reshapeView(v, d.outShape, d.expShape);
      if (!r) throw new GraphError(`[plan] internal: cannot view ${d.outShape} as ${d.expShape}`);
      return r;
    };
    const loads: View[] = [];
    const argMap = l.srcs.map((s) => (s.kind === "acc" ? -1 : loads.push(toExp(s.view)) - 1));
    const expr = mapExpr(l.expr, (x) => (x.k === "arg" ? (argMap[x.arg] === -1 ? E.v("acc", "f32") : { ...x, arg: argMap[x.arg]! }) : x));
    const tv = toExp(target);
    const tbuf = this.buffers[target.buffer]!;
    const direct = tbuf.dtype === "f32" && isContiguous(tv, d.expShape);
    const plain = expr.k === "var";
    const c = direct ? tv : contiguousView(this.newBuffer("temp", "f32", d.expShape).id, d.expShape);
    const nodes = [...d.nodes, ...l.nodes];
    this.emit({
      kind: "gemm", name: this.kernelName(nodes, "gemm"), nodes, batch: d.batch, m: d.m, n: d.n, k: d.k,
      a: d.a, b: d.b, bDType: d.bDType, c, alpha: d.alpha,
      epilogue: direct && plain ? null : { loads, stores: [{ view: tv, expr: castTo(expr, l.dtype) }] },
    });
  }

  private lowerConv1d(node: Node): Lazy {
    const [xn, wn, bn] = node.inputs.map((i) => this.graph.nodes[i]!) as [Node, Node, Node | undefined];
    const a = node.attrs as { stride: number; padding: number | [number, number]; dilation: number; groups: number };
    const dt = node.type.dtype;
    if (a.groups !== 1) throw new UnsupportedOpError("conv1d", dt, this.backend, `groups=${a.groups} (only 1 is lowered)`);
    const [N, Cin, L] = xn.type.shape as [Dim, number, Dim];
    const [Cout, , K] = wn.type.shape as [number, number, number];
    const [pl, pr] = typeof a.padding === "number" ? [a.padding, a.padding] : a.padding;
    const Lout = node.type.shape[2]!;
    const xv = this.contiguous(this.use(xn.id), "f32");
    const wl = this.use(wn.id);
    const wv = this.contiguous(wl, "f32");
    let bview: View;
    if (K === 1 && a.stride === 1 && pl === 0 && pr === 0) bview = xv;
    else {
      const colShape = [N, Cin * K, Lout];
      const col = contiguousView(this.newBuffer("temp", "f32", colShape).id, colShape);
      this.emit({
        kind: "library", op: "im2col", name: this.kernelName([node.id], "im2col"), nodes: [node.id],
        batch: N, channels: Cin, length: L, kernel: K, outLength: Lout, stride: a.stride, padLeft: pl, dilation: a.dilation,
        x: xv, dtype: "f32", out: col,
      });
      bview = col;
    }
    const ck = Cin * K;
    const draft: GemmDraft = {
      kind: "gemm", batch: [N], m: Cout, n: Lout, k: ck,
      a: { buffer: wv.buffer, offset: wv.offset, strides: [0, ck, 1] },
      b: { buffer: bview.buffer, offset: bview.offset, strides: [dimMul(ck, Lout), Lout, 1] },
      bDType: "f32", alpha: 1, outShape: node.type.shape, expShape: node.type.shape,
      nodes: [node.id], owner: node.id, done: false,
    };
    const srcs: Src[] = [{ kind: "acc" }];
    let expr = E.arg(0, dt);
    if (bn) {
      const bias = this.trivialView(this.use(bn.id)) ?? this.materialize(this.use(bn.id));
      srcs.push({ kind: "view", view: { buffer: bias.buffer, offset: bias.offset, strides: [0, bias.strides[0]!, 0] } });
      expr = E.bin("add", expr, E.arg(1, dt), dt);
    }
    return { shape: node.type.shape, dtype: dt, expr, srcs, producer: draft, nodes: [] };
  }

  /**
   * Where attention writes: normally a contiguous [.., lq, dv] temp; when its only use is a
   * permute (heads back next to features, as every transformer does), the temp is laid out in
   * the permuted order so that permute and the reshape after it cost nothing.
   */
  private attentionOutView(node: Node): View {
    const out = node.type.shape;
    const us = this.users[node.id]!;
    const p = us.length === 1 && !this.outputPositions.has(node.id) ? this.graph.nodes[us[0]!]! : undefined;
    if (p?.op === "permute") {
      const perm = normAxes("permute", p.attrs.dims as number[], out.length);
      if (perm[perm.length - 1] === out.length - 1) {
        const ps = p.type.shape;
        const cs = contiguousView(this.newBuffer("temp", "f32", ps).id, ps);
        const strides = out.map((_, a) => cs.strides[perm.indexOf(a)]!);
        return { ...cs, strides };
      }
    }
    return contiguousView(this.newBuffer("temp", "f32", out).id, out);
  }

  // ---- attention -------------------------------------------------------------------------------

  /**
   * Find softmax(scale·(q·kᵀ) + masks) · v where every intermediate has one use: the scores are
   * then never stored. Matched before lowering so the intermediate nodes are skipped.
   */
  private matchAttention(): void {
    const g = this.graph;
    const single = (id: number) => this.users[id]!.length === 1 && !this.outputPositions.has(id);
    const scalar = (id: number): number | undefined => {
      const n = g.nodes[id]!;
      if (n.op !== "constant") return undefined;
      const t = g.constants.get(id)!;
      return t.size === 1 ? readElement(t.dtype, t.data, 0) : undefined;
    };
    for (const sm of g.nodes) {
      if (sm.op !== "softmax" || !this.needed[sm.id] || sm.type.dtype !== "f32") continue;
      const rank = sm.type.rank;
      if (rank < 2 || rank > 4 || normAxis("softmax", sm.attrs.axis as number, rank) !== rank - 1) continue;
      const users = this.users[sm.id]!;
      if (users.length !== 1 || this.outputPositions.has(sm.id)) continue;
      const pv = g.nodes[users[0]!]!;
      if (pv.op !== "matmul" || pv.inputs[0] !== sm.id || pv.inputs[1] === sm.id) continue;
      const absorbed = [sm.id];
      const masks: number[] = [];
      let scale = 1;
      let cur = sm.inputs[0]!;
      let ok = true;
      for (;;) {
        const n = g.nodes[cur]!;
        if (!single(cur)) { ok = false; break; }
        if (n.op === "matmul") break;
        const [x, y] = n.inputs as [number, number];
        const isScores = (id: number) => ["matmul", "mul", "div", "add"].includes(g.nodes[id]!.op) && sameShape(g.nodes[id]!.type.shape, sm.type.shape);
        if (n.op === "mul" || n.op === "div") {
          const c = scalar(y) ?? (n.op === "mul" ? scalar(x) : undefined);
          if (c === undefined) { ok = false; break; }
          scale = n.op === "mul" ? scale * c : scale / c;
          absorbed.push(cur);
          cur = scalar(y) !== undefined ? x : y;
        } else if (n.op === "add") {
          const [s, mk] = isScores(x) ? [x, y] : isScores(y) ? [y, x] : [-1, -1];
          if (s < 0 || g.nodes[mk]!.type.dtype !== "f32") { ok = false; break; }
          masks.push(mk);
          absorbed.push(cur);
          cur = s;
        } else { ok = false; break; }
      }
      if (!ok) continue;
      const qk = g.nodes[cur]!;
      const [q, kt] = qk.inputs as [number, number];
      if (g.nodes[q]!.type.rank !== rank || g.nodes[kt]!.type.rank !== rank || g.nodes[pv.inputs[1]!]!.type.rank !== rank) continue;
      if (![q, kt, pv.inputs[1]!].every((i) => g.nodes[i]!.type.dtype === "f32")) continue;
      absorbed.push(cur);
      for (const id of absorbed) this.absorbed.add(id);
      const [lq, lk] = sm.type.shape.slice(-2) as [Dim, Dim];
      const ci = masks.findIndex((mk) => this.isCausalMask(mk, lq, lk));
      const causal = ci >= 0;
      if (causal) masks.splice(ci, 1);
      this.attention.set(pv.id, { q, kt, v: pv.inputs[1]!, masks, scale, absorbed, causal });
    }
    if (this.attention.size === 0) return;
    // Uses by absorbed nodes become uses by the attention kernel, for what it really reads.
    const reads = new Map<number, number[]>();
    for (const [root, m] of this.attention) reads.set(root, [m.q, m.kt, m.v, ...m.masks]);
    const deps = (n: Node) => [...new Set([...n.inputs.filter((i) => !this.absorbed.has(i)), ...(reads.get(n.id) ?? [])])];
    // A causal mask the kernel applies itself is no longer needed at all.
    const needed = new Array<boolean>(g.nodes.length).fill(false);
    for (const id of g.outputNodeIds) needed[id] = true;
    for (let i = g.nodes.length - 1; i >= 0; i--) if (needed[i] && !this.absorbed.has(i)) for (const j of deps(g.nodes[i]!)) needed[j] = true;
    this.needed = needed;
    this.users = g.nodes.map(() => []);
    for (const n of g.nodes) if (needed[n.id] && !this.absorbed.has(n.id)) for (const j of deps(n)) this.users[j]!.push(n.id);
  }

  /**
   * Whether a mask node is the causal mask over the [lq, lk] scores, 0 where j <= i + (lk - lq)
   * and -inf elsewhere: either as ops.causal_mask builds it (where over reversed iotas) or as a
   * constant with those values (after constant folding).
   */
  private isCausalMask(id: number, lq: Dim, lk: Dim): boolean {
    const g = this.graph;
    const n = g.nodes[id]!;
    const shape = n.type.shape;
    if (shape.length < 2 || !dimEq(shape[shape.length - 2]!, lq) || !dimEq(shape[shape.length - 1]!, lk)) return false;
    if (shape.slice(0, -2).some((d) => d !== 1)) return false;
    if (n.op === "constant") {
      const t = g.constants.get(id)!;
      if (typeof lq !== "number" || typeof lk !== "number" || t.size !== lq * lk) return false;
      for (let i = 0; i < lq; i++)
        for (let j = 0; j < lk; j++) {
          const v = readElement(t.dtype, t.data, i * lk + j);
          if (j <= i + lk - lq ? v !== 0 : v !== -Infinity) return false;
        }
      return true;
    }
    const scalar = (x: number): number | undefined => {
      const c = g.nodes[x]!;
      const t = c.op === "constant" ? g.constants.get(x)! : undefined;
      return t && t.size === 1 ? readElement(t.dtype, t.data, 0) : undefined;
    };
    if (n.op !== "where" || scalar(n.inputs[1]!) !== 0 || scalar(n.inputs[2]!) !== -Infinity) return false;
    const cond = g.nodes[n.inputs[0]!]!;
    if (cond.op !== "greater_equal") return false;
    // (lk-1-j) >= (lq-1-i): distances from the end, as reversed iotas along keys and queries.
    const fromEnd = (x: number, axis: number, len: Dim): boolean => {
      const sl = g.nodes[x]!;
      if (sl.op !== "slice") return false;
      const a = sl.attrs as { starts: unknown[]; ends: unknown[]; axes?: number[]; steps?: number[] };
      if (a.starts.length !== 1 || a.starts[0] !== null || a.ends[0] !== null || a.axes?.[0] !== axis || a.steps?.[0] !== -1) return false;
      const io = g.nodes[sl.inputs[0]!]!;
      const s = io.type.shape;
      return io.op === "iota" && io.attrs.axis === axis && s.length === 2 && dimEq(s[axis]!, len) && s[1 - axis] === 1;
    };
    return fromEnd(cond.inputs[0]!, 1, lk) && fromEnd(cond.inputs[1]!, 0, lq);
  }

  private lowerAttention(node: Node, mt: AttentionMatch): Lazy {
    const g = this.graph;
    const out = node.type.shape;
    const rank = out.length;
    const lead = out.slice(0, -2);
    const qs = g.nodes[mt.q]!.type.shape, kts = g.nodes[mt.kt]!.type.shape, vs = g.nodes[mt.v]!.type.shape;
    const lq = qs[rank - 2]!, d = qs[rank - 1]!, lk = kts[rank - 1]!, dv = vs[rank - 1]!;
    let scale = mt.scale;
    // Peel a constant factor off q or k (Whisper scales both by d^-1/4) into the kernel's scale.
    const peel = (l: Lazy): Lazy => {
      const e = l.expr;
      if (l.producer || e.k !== "binary" || e.op !== "mul") return l;
      const [x, c] = e.a.k === "const" ? [e.b, e.a] : [e.a, e.b];
      if (c.k !== "const" || x.k !== "arg") return l;
      scale *= c.v;
      return { ...l, expr: x };
    };
    // Each operand as a [lead.., rows, cols] view with unit column stride, copying when needed
    // (`stored`: a view already resolved, e.g. half K/V read in place).
    const operand = (l: Lazy, shape: readonly Dim[], stored?: View): View => {
      const full = [...lead, ...shape.slice(-2)];
      let v = stored ?? this.trivialView(l);
      if (!v) v = this.materialize(l);
      let bv = broadcastView(v, shape, full);
      if (!dimEq(bv.strides[rank - 1]!, 1)) {
        bv = broadcastView(this.contiguous(this.viewLazy(v, shape, "f32")), shape, full);
      }
      return bv;
    };
    const ql = peel(this.use(mt.q));
    // k is read through the transpose: swap the last two axes of kᵀ back.
    const swap = [...Array(rank).keys()];
    [swap[rank - 2], swap[rank - 1]] = [rank - 1, rank - 2];
    const ktl = peel(this.use(mt.kt));
    const ks = [...kts.slice(0, -2), lk, d];
    const kl = this.transform(ktl, ks, (v) => permuteView(v, swap));
    const vl = this.use(mt.v);
    // Stored f16/bf16 K and V widened by a cast: read in place when the backend can.
    const hk = this.opts.halfKV ? halfSource(kl, this.buffers) : undefined;
    const hv = this.opts.halfKV ? halfSource(vl, this.buffers) : undefined;
    const halfKV = hk && hv && hk.dtype === hv.dtype && dimEq(hk.view.strides[rank - 1]!, 1) && dimEq(hv.view.strides[rank - 1]!, 1);
    const qv = operand(ql, qs), kv = operand(kl, ks, halfKV ? hk.view : undefined), vv = operand(vl, vs, halfKV ? hv.view : undefined);
    let mask: View | null = null;
    if (mt.masks.length) {
      const scoreShape = [...lead, lq, lk];
      const parts = mt.masks.map((id) => this.broadcast(this.use(id), scoreShape));
      const m = this.merge(parts);
      const sum = m.exprs.reduce((acc, e) => E.bin("add", acc, e, "f32"));
      const ml: Lazy = { shape: scoreShape, dtype: "f32", expr: sum, srcs: m.srcs, nodes: m.nodes };
      const t = this.trivialView(ml);
      mask = t ?? this.materialize(ml);
    }
    const ov = this.attentionOutView(node);
    // Leading axes map to (batch, heads): none -> (1, 1), one -> (1, heads), two -> (batch, heads).
    const bh = (v: View): View => {
      const st = v.strides;
      const lb = rank - 2;
      const s4 = lb === 0 ? [0, 0, ...st] : lb === 1 ? [0, ...st] : [...st];
      return { ...v, strides: s4 };
    };
    const nodes = [...mt.absorbed, ...(halfKV ? [...kl.nodes, ...vl.nodes] : []), node.id];
    this.emit({
      kind: "attention", name: this.kernelName(nodes, "attention"), nodes,
      batch: rank === 4 ? lead[0]! : 1, heads: rank >= 3 ? lead[lead.length - 1]! : 1, lq, lk, d, dv,
      q: bh(qv), k: bh(kv), v: bh(vv), out: bh(ov), mask: mask ? bh(mask) : null, scale, causal: mt.causal,
    });
    return this.viewLazy(ov, out, "f32");
  }
}

/** A lazy that only widens a stored f16/bf16 tensor to f32: its view and storage dtype. */
function halfSource(l: Lazy, buffers: readonly PlanBuffer[]): { view: View; dtype: DType } | undefined {
  const e = l.expr;
  if (l.producer || e.k !== "cast" || e.dtype !== "f32" || e.a.k !== "arg") return undefined;
  const s = l.srcs[e.a.arg]!;
  if (s.kind !== "view") return undefined;
  const dt = buffers[s.view.buffer]!.dtype;
  return dt === "f16" || dt === "bf16" ? { view: s.view, dtype: dt } : undefined;
}

function hasIndex(e: Expr): boolean {
  return exprUses(e, (x) => x.k === "index");
}

function exprIsLoad(e: Expr): boolean {
  return e.k === "arg" || (e.k === "cast" && e.a.k === "arg");
}

/** Wrap in a cast when the expression's type differs from the stored dtype. */
function castTo(e: Expr, dtype: DType): Expr {
  const have = e.k === "index" ? "i64" : e.dtype;
  return have === dtype ? e : E.cast(e, dtype);
}

/** First element and step of each sliced axis (NumPy clamping for static sizes). */
function sliceStarts(a: Record<string, unknown>, shape: readonly Dim[]): { axis: number; start: Dim; step: number }[] {
  const starts = a.starts as (number | string | null)[];
  const axes = (a.axes as number[] | undefined) ?? starts.map((_, i) => i);
  const steps = (a.steps as number[] | undefined) ?? axes.map(() => 1);
  return axes.map((ax, i) => {
    const axis = normAxis("slice", ax, shape.length);
    const d = shape[axis]!, step = steps[i]!, s = starts[i]!;
    let start: Dim;
    if (typeof s === "string") start = dim(s);
    else if (typeof d === "number") start = pySlice(d, s, null, step)[0];
    else if (s === null) start = step > 0 ? 0 : dimSub(d, 1);
    else start = s < 0 ? dimAdd(d, s) : s;
    return { axis, start, step };
  });
}

/** node id -> fusion group (kernel index), for `graph.toDot({ groups: fusionGroups(plan) })`. */
export function fusionGroups(plan: KernelPlan): Map<number, number> {
  return new Map(plan.groups);
}
