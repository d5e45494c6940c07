// The op registry: every op's single entry, by IR name. Adding an op means adding its file
// and one line here; `OpName` and the exhaustive table type make a missing entry a tsc error.

import { GraphError } from "../errors.js";
import type { OpDef } from "./types.js";
import { constant, input, weight } from "./source.js";
import * as ew from "./elementwise.js";
import { matmul } from "./matmul.js";
import { log_softmax, softmax } from "./softmax.js";
import { argmax, reduce_max, reduce_mean, reduce_sum } from "./reduce.js";
import { layer_norm, rms_norm } from "./norm.js";
import { broadcast_to, concat, pad, permute, reshape, slice } from "./movement.js";
import { gather } from "./gather.js";
import { iota } from "./iota.js";
import { conv1d } from "./conv.js";

export const REGISTRY = {
  input, constant, weight,
  neg: ew.neg, abs: ew.abs, exp: ew.exp, log: ew.log, sqrt: ew.sqrt, rsqrt: ew.rsqrt, tanh: ew.tanh,
  erf: ew.erfOp, sin: ew.sin, cos: ew.cos, sigmoid: ew.sigmoidOp, relu: ew.relu, silu: ew.silu, gelu: ew.gelu,
  add: ew.add, sub: ew.sub, mul: ew.mul, div: ew.div, pow: ew.pow, maximum: ew.maximum, minimum: ew.minimum,
  equal: ew.equal, greater: ew.greater, greater_equal: ew.greater_equal, less: ew.less, less_equal: ew.less_equal,
  where: ew.where, cast: ew.cast,
  matmul,
  softmax, log_softmax,
  reduce_sum, reduce_mean, reduce_max, argmax,
  layer_norm, rms_norm,
  permute, reshape, slice, concat, pad, broadcast_to,
  gather, iota, conv1d,
} as const;

export type OpName = keyof typeof REGISTRY;
// Every entry must satisfy the OpDef contract (checked here once, with its own attrs type).
const _check: { [K in OpName]: OpDef<never> } = REGISTRY as never;
void _check;

export function getOp(name: string): OpDef<Record<string, unknown>> {
  const def = (REGISTRY as unknown as Record<string, OpDef<never>>)[name];
  if (!def) throw new GraphError(`unknown op '${name}'`);
  return def as unknown as OpDef<Record<string, unknown>>;
}

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(REGISTRY, name);
}

export function opNames(): OpName[] {
  return Object.keys(REGISTRY) as OpName[];
}
