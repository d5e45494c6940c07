// canonicalize: local rewrites to one normal form that keep what the interpreter computes:
// identities (x*1, x+0, -(-x), max(x, x)), movement folding (permute∘permute, reshape∘reshape,
// identity permutes/reshapes/broadcasts) and sorted operands of commutative ops, for CSE.

import { readElement } from "../dtype.js";
import type { Graph, Node } from "../ir/graph.js";
import { type Builder, rebuild } from "./rebuild.js";

// Swapping operands of these is exact in IEEE arithmetic (max/min propagate NaN either way).
const COMMUTATIVE = new Set(["add", "mul", "maximum", "minimum", "equal"]);
// Ops whose output equals their input whenever the two types are equal.
// NOTE: not slice or permute: a reversing slice or an axis swap on a square tensor keeps the type.
const IDENTITY_WHEN_SAME_TYPE = new Set(["reshape", "broadcast_to", "cast"]);
// Idempotent unary ops: f(f(x)) = f(x).
const IDEMPOTENT = new Set(["abs", "relu"]);

export function canonicalize(graph: Graph): Graph {
  return rebuild(graph, canonicalRule);
}

function canonicalRule(n: Node, b: Builder): number | undefined {
  const op: string = n.op;
  const [a, c] = n.inputs;
  const input = (k: number) => b.node(n.inputs[k]!);
  const sameType = (id: number) => b.node(id).type.equals(n.type);

  if (IDENTITY_WHEN_SAME_TYPE.has(op) && a !== undefined && sameType(a)) return a;
  if (IDEMPOTENT.has(op) && input(0).op === op) return a;
  if (op === "abs" && input(0).op === "neg") return b.emit("abs", [input(0).inputs[0]!], {}, n.type, n.site);
  if (op === "neg" && input(0).op === "neg") return input(0).inputs[0];

  if (n.inputs.length === 2 && a !== undefined && c !== undefined) {
    // x op identity -> x, only when that leaves the type unchanged (no broadcast, no dtype change).
    const isConst = (id: number, v: number) => allEqual(b, id, v);
    switch (op) {
      case "add":
        if ((isConst(c, 0) || isConst(c, -0)) && sameType(a)) return a;
        if ((isConst(a, 0) || isConst(a, -0)) && sameType(c)) return c;
        // x + (-y) = x - y exactly.
        if (b.node(c).op === "neg") return b.emit("sub", [a, b.node(c).inputs[0]!], {}, n.type, n.site);
        if (b.node(a).op === "neg") return b.emit("sub", [c, b.node(a).inputs[0]!], {}, n.type, n.site);
        break;
      case "sub":
        if ((isConst(c, 0) || isConst(c, -0)) && sameType(a)) return a;
        if (b.node(c).op === "neg") return b.emit("add", ...ordered([a, b.node(c).inputs[0]!]), n.type, n.site);
        break;
      case "mul":
        if (isConst(c, 1) && sameType(a)) return a;
        if (isConst(a, 1) && sameType(c)) return c;
        if (isConst(c, -1) && sameType(a) && b.node(a).type.dtype !== "bool") return b.emit("neg", [a], {}, n.type, n.site);
        if (isConst(a, -1) && sameType(c) && b.node(c).type.dtype !== "bool") return b.emit("neg", [c], {}, n.type, n.site);
        break;
      case "div":
      case "pow":
        if (isConst(c, 1) && sameType(a)) return a;
        break;
    }
    if ((op === "maximum" || op === "minimum") && a === c) return a;
    if (COMMUTATIVE.has(op) && a > c) return b.emit(op, [c, a], { ...n.attrs }, n.type, n.site);
  }

  if (op === "permute") return foldPermute(n, b);
  // reshape(reshape(x)) -> reshape(x): the intermediate shape does not matter for row-major data.
  if (op === "reshape" && (input(0).op as string) === "reshape")
    return b.emit("reshape", [input(0).inputs[0]!], { ...n.attrs }, n.type, n.site);
  return undefined;
}

/** Operands for a commutative op in canonical (ascending id) order, plus empty attrs. */
function ordered(ids: [number, number]): [number[], Record<string, unknown>] {
  return [ids[0] <= ids[1] ? ids : [ids[1], ids[0]], {}];
}

function foldPermute(n: Node, b: Builder): number | undefined {
  const x = n.inputs[0]!;
  const rank = n.type.rank;
  const outer = permOf(n.attrs, rank);
  if (!outer) return undefined;
  const isIdentity = (p: number[]) => p.every((v, i) => v === i);
  if (isIdentity(outer)) return x;
  const inner = b.node(x);
  if (inner.op !== n.op) return undefined;
  const p1 = permOf(inner.attrs, rank);
  if (!p1) return undefined;
  // z = permute(permute(x, p1), p2): z axis i is x axis p1[p2[i]].
  const q = outer.map((i) => p1[i]!);
  if (isIdentity(q)) return inner.inputs[0];
  const key = Object.keys(n.attrs).find((k) => Array.isArray(n.attrs[k]))!;
  return b.emit(n.op, [inner.inputs[0]!], { ...n.attrs, [key]: q }, n.type, n.site);
}

/** The permutation attribute of a permute node, normalised to non-negative axes. */
function permOf(attrs: Readonly<Record<string, unknown>>, rank: number): number[] | undefined {
  for (const k of ["dims", "perm", "axes", "permutation"]) {
    const v = attrs[k];
    if (Array.isArray(v) && v.length === rank && v.every((d) => Number.isInteger(d))) return v.map((d: number) => norm(d, rank));
  }
  return undefined;
}

function norm(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** True when `id` is a constant whose every element is `v` (0 and -0 told apart). */
function allEqual(b: Builder, id: number, v: number): boolean {
  const t = b.constantOf(id);
  if (!t || t.size === 0) return false;
  for (let i = 0; i < t.size; i++) if (!Object.is(readElement(t.dtype, t.data, i), v)) return false;
  return true;
}
