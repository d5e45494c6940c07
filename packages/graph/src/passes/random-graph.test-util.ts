// Test-only: random graphs for property tests of passes (and later fusion). A recipe is plain
// data that fast-check generates and shrinks; `buildRandomGraph` turns it into a Graph. To cover
// a new op, add one entry to OP_TABLE; a step whose operands do not fit the op is skipped.

import fc from "fast-check";
import { Graph, type Value } from "../ir/graph.js";
import { isOpName, type OpName } from "../ops/registry.js";
import { Tensor } from "../tensor.js";
import { TensorType } from "../tensor-type.js";
import type { Dim } from "../dim.js";
import "../dsl/value.js";
import { seededRandom } from "../random.js";

/** Input shapes; "n" is bound to 2 at run time, so it never broadcasts against a static 2. */
export const SHAPES: readonly (readonly Dim[])[] = [[2, 3], [3], [1, 3], [], [3, 3], [2, 1], ["n", 3], [2, 3, 3]];
/** Constant values that make canonicalisation rules fire, plus "random" (-1 means random data). */
const SPECIAL = [0, 1, -1, 2, -0.5, -1, -1, -1];

interface OpEntry {
  op: OpName | string;
  arity: number;
  /** Attributes from a random integer (and the operands' types). */
  attrs?: (r: number, xs: readonly Value[]) => Record<string, unknown>;
}

const unary = (op: string): OpEntry => ({ op, arity: 1 });
const binary = (op: string): OpEntry => ({ op, arity: 2 });
const axis = (r: number, xs: readonly Value[]) => ({ axis: xs[0]!.rank ? (r % (2 * xs[0]!.rank)) - xs[0]!.rank : 0 });

const ALL_OPS: OpEntry[] = [
  ...["neg", "abs", "exp", "tanh", "sigmoid", "relu", "gelu", "silu", "sin", "cos"].map(unary),
  ...["add", "sub", "mul", "div", "maximum", "minimum", "add", "mul"].map(binary),
  { op: "matmul", arity: 2 },
  { op: "softmax", arity: 1, attrs: axis },
  { op: "log_softmax", arity: 1, attrs: axis },
  { op: "cast", arity: 1, attrs: (r) => ({ dtype: r % 2 ? "f32" : "f16" }) },
  { op: "permute", arity: 1, attrs: (r, [x]) => ({ dims: permutation(x!.rank, r) }) },
  { op: "reshape", arity: 1, attrs: (r, [x]) => ({ shape: reshapeTarget(x!, r) }) },
  { op: "reduce_sum", arity: 1, attrs: (r, [x]) => ({ axes: x!.rank ? [r % x!.rank] : [], keepdims: r % 2 === 0 }) },
  { op: "reduce_max", arity: 1, attrs: (r, [x]) => ({ axes: x!.rank ? [r % x!.rank] : [], keepdims: r % 3 === 0 }) },
  { op: "reduce_mean", arity: 1, attrs: (r, [x]) => ({ axes: x!.rank ? [-1 - (r % x!.rank)] : [], keepdims: r % 2 === 1 }) },
  { op: "argmax", arity: 1, attrs: (r, [x]) => ({ axis: x!.rank ? r % x!.rank : 0, keepdims: r % 2 === 0 }) },
  { op: "layer_norm", arity: 3, attrs: (r) => ({ epsilon: r % 2 ? 1e-5 : 0.1 }) },
  { op: "rms_norm", arity: 2, attrs: (r) => ({ epsilon: r % 2 ? 1e-6 : 0.1 }) },
  ...["greater", "less_equal", "equal"].map(binary),
  { op: "where", arity: 3 },
  { op: "concat", arity: 2, attrs: (r, [x]) => ({ axis: x!.rank ? r % x!.rank : 0 }) },
  { op: "slice", arity: 1, attrs: (r, [x]) => ({ starts: [r % 2], ends: [null], axes: [x!.rank ? r % x!.rank : 0], steps: [r % 3 === 0 ? -1 : 1] }) },
  { op: "pad", arity: 1, attrs: (r, [x]) => ({ pads: x!.shape.map((_, i) => (i === r % Math.max(1, x!.rank) ? [1, r % 2] : [0, 0])), value: r % 2 ? 0 : 1.5 }) },
  { op: "iota", arity: 0, attrs: (r) => ({ shape: [2, 3], axis: r % 2, dtype: "f32" }) },
  // Only below rank 3, so chains of broadcasts cannot grow tensors without bound.
  { op: "broadcast_to", arity: 1, attrs: (_r, [x]) => ({ shape: x!.rank < 3 ? [2, ...x!.shape] : [0] }) },
];
/** The entries whose op exists in the registry (the table may name ops still being added). */
export const OP_TABLE: readonly OpEntry[] = ALL_OPS.filter((e) => isOpName(e.op));

function permutation(rank: number, r: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = (r >> i) % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function reshapeTarget(x: Value, r: number): Dim[] {
  const shape = x.shape;
  switch (r % 4) {
    case 0: return [-1];
    case 1: return [...shape];
    case 2: return [1, ...shape];
    default: return shape.length >= 2 ? [...shape.slice(0, -2), -1] : [-1, 1];
  }
}

export interface Step {
  /** 0: constant, 1: weight, otherwise an OP_TABLE entry. */
  kind: number;
  args: number[];
  r: number;
}

export interface Recipe {
  inputs: number[];
  steps: Step[];
  outputs: number[];
  seed: number;
}

export const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  inputs: fc.array(fc.nat(SHAPES.length - 1), { minLength: 1, maxLength: 3 }),
  steps: fc.array(
    fc.record({ kind: fc.nat(OP_TABLE.length + 3), args: fc.array(fc.nat(40), { minLength: 2, maxLength: 2 }), r: fc.nat(1000) }),
    { minLength: 1, maxLength: 30, size: "medium" },
  ),
  outputs: fc.array(fc.nat(60), { maxLength: 2 }),
  seed: fc.nat(),
});

export interface BuiltGraph {
  graph: Graph;
  inputs: Tensor[];
  weights: Map<string, Tensor>;
}

/** Seeded numbers in [-1, 1). */
export function rng(seed: number): () => number {
  const r = seededRandom(seed);
  return () => 2 * r() - 1;
}

/** Build the graph a recipe describes, with input and weight data from its seed. */
export function buildRandomGraph(recipe: Recipe): BuiltGraph {
  // Call-site capture (a stack trace per node, and per rejected step) dominates build time here,
  // and these graphs have no user call sites worth keeping.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return buildUnchecked(recipe);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function buildUnchecked(recipe: Recipe): BuiltGraph {
  const rand = rng(recipe.seed);
  const concrete = (s: readonly Dim[]) => s.map((d) => (typeof d === "number" ? d : 2));
  const data = (t: TensorType) => {
    const shape = concrete(t.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    return Tensor.fromArray(t.dtype, shape, Array.from({ length: n }, () => rand() * 2));
  };
  const g = new Graph("random", recipe.inputs.map((i) => new TensorType("f32", SHAPES[i]!)));
  const values: Value[] = [...g.inputs];
  const weights = new Map<string, Tensor>();
  // Half the operand picks take one of the newest values, so chains grow deep, not wide.
  const pick = (k: number) => values[k < 20 ? Math.max(0, values.length - 1 - (k % 3)) : k % values.length]!;
  for (const step of recipe.steps) {
    const shape = SHAPES[step.r % SHAPES.length]!.map((d) => (typeof d === "number" ? d : 3));
    if (step.kind === 0 || step.kind === 1) {
      // Constants: a repeated special value (so identities fire and CSE finds duplicates) or random data.
      const special = SPECIAL[step.r % SPECIAL.length]!;
      const t = new TensorType("f32", shape);
      const c = special === -1 ? data(t) : Tensor.fromArray("f32", shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(special));
      values.push(g.constant(c));
    } else if (step.kind === 2 || step.kind === 3) {
      const name = `w${step.r % 3}`;
      const t = new TensorType("f32", shape);
      try {
        values.push(g.weight(name, t));
        if (!weights.has(name)) weights.set(name, data(t));
      } catch {
        // Same name with another type: skip the step.
      }
    } else {
      const e = OP_TABLE[step.kind - 4]!;
      const xs = step.args.slice(0, e.arity).map(pick);
      try {
        values.push(g.add(e.op as OpName, xs, e.attrs?.(step.r, xs) ?? {}));
      } catch {
        // The operands do not fit this op (shape or dtype): the step is a no-op.
      }
    }
  }
  // The newest value is always an output (so most steps are live); the others test multi-output.
  const outs = [...new Set([values.length - 1, ...recipe.outputs.map((k) => k % values.length)])].map((i) => values[i]!);
  g.output(...outs);
  return { graph: g, inputs: g.inputs.map((v) => data(v.type)), weights };
}

/**
 * Assert two result lists agree within `atol + rtol·|ref|` (NaN matches NaN, infinities match
 * by sign); throws naming the output and the first mismatching index.
 */
export function assertClose(got: readonly Tensor[], ref: readonly Tensor[], atol = 1e-6, rtol = 1e-5): void {
  if (got.length !== ref.length) throw new Error(`output count: expected ${ref.length}, got ${got.length}`);
  for (const [k, r] of ref.entries()) {
    const o = got[k]!;
    if (o.dtype !== r.dtype || o.shape.join() !== r.shape.join())
      throw new Error(`output ${k}: expected ${r.dtype}[${r.shape}], got ${o.dtype}[${o.shape}]`);
    const a = o.toFloat64Array(), b = r.toFloat64Array();
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!, y = b[i]!;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x === y) continue;
      if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y)))
        throw new Error(`output ${k} differs at flat index ${i}: expected ${y}, got ${x}`);
    }
  }
}
