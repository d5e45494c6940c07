// Ops as methods on Value (`a.matmul(b).add(c)`): thin forwards to the ops functions.

import { Value } from "../ir/graph.js";
import * as ops from "./ops.js";
import type { SliceBound, TensorLike } from "./ops.js";
import type { DType } from "../dtype.js";
import type { Dim } from "../dim.js";

declare module "../ir/graph.js" {
  interface Value {
    add(b: TensorLike): Value;
    sub(b: TensorLike): Value;
    mul(b: TensorLike): Value;
    div(b: TensorLike): Value;
    pow(b: TensorLike): Value;
    maximum(b: TensorLike): Value;
    minimum(b: TensorLike): Value;
    neg(): Value;
    abs(): Value;
    exp(): Value;
    log(): Value;
    sqrt(): Value;
    rsqrt(): Value;
    tanh(): Value;
    sigmoid(): Value;
    relu(): Value;
    gelu(approximate?: "none" | "tanh"): Value;
    matmul(b: Value): Value;
    softmax(axis?: number): Value;
    cast(dtype: DType): Value;
    log_softmax(axis?: number): Value;
    sum(axes?: number | readonly number[], keepdims?: boolean): Value;
    mean(axes?: number | readonly number[], keepdims?: boolean): Value;
    max(axes?: number | readonly number[], keepdims?: boolean): Value;
    argmax(axis?: number, keepdims?: boolean): Value;
    reshape(shape: readonly Dim[]): Value;
    permute(dims: readonly number[]): Value;
    transpose(axis1: number, axis2: number): Value;
    unsqueeze(axis: number): Value;
    squeeze(axis: number): Value;
    slice(starts: readonly SliceBound[], ends: readonly SliceBound[], axes?: readonly number[], steps?: readonly number[]): Value;
    split(sizes: readonly Dim[], axis?: number): Value[];
    pad(pads: readonly (readonly [number, number])[], value?: number): Value;
    broadcast_to(shape: readonly Dim[]): Value;
    gather(indices: Value, axis?: number): Value;
  }
}

const P = Value.prototype;
P.add = function (b) { return ops.add(this, b); };
P.sub = function (b) { return ops.sub(this, b); };
P.mul = function (b) { return ops.mul(this, b); };
P.div = function (b) { return ops.div(this, b); };
P.pow = function (b) { return ops.pow(this, b); };
P.maximum = function (b) { return ops.maximum(this, b); };
P.minimum = function (b) { return ops.minimum(this, b); };
P.neg = function () { return ops.neg(this); };
P.abs = function () { return ops.abs(this); };
P.exp = function () { return ops.exp(this); };
P.log = function () { return ops.log(this); };
P.sqrt = function () { return ops.sqrt(this); };
P.rsqrt = function () { return ops.rsqrt(this); };
P.tanh = function () { return ops.tanh(this); };
P.sigmoid = function () { return ops.sigmoid(this); };
P.relu = function () { return ops.relu(this); };
P.gelu = function (approximate = "none") { return ops.gelu(this, approximate); };
P.matmul = function (b) { return ops.matmul(this, b); };
P.softmax = function (axis = -1) { return ops.softmax(this, axis); };
P.cast = function (dtype) { return ops.cast(this, dtype); };
P.log_softmax = function (axis = -1) { return ops.log_softmax(this, axis); };
P.sum = function (axes, keepdims = false) { return ops.sum(this, axes, keepdims); };
P.mean = function (axes, keepdims = false) { return ops.mean(this, axes, keepdims); };
P.max = function (axes, keepdims = false) { return ops.max(this, axes, keepdims); };
P.argmax = function (axis = -1, keepdims = false) { return ops.argmax(this, axis, keepdims); };
P.reshape = function (shape) { return ops.reshape(this, shape); };
P.permute = function (dims) { return ops.permute(this, dims); };
P.transpose = function (a, b) { return ops.transpose(this, a, b); };
P.unsqueeze = function (axis) { return ops.unsqueeze(this, axis); };
P.squeeze = function (axis) { return ops.squeeze(this, axis); };
P.slice = function (starts, ends, axes, steps) { return ops.slice(this, starts, ends, axes, steps); };
P.split = function (sizes, axis = 0) { return ops.split(this, sizes, axis); };
P.pad = function (pads, value = 0) { return ops.pad(this, pads, value); };
P.broadcast_to = function (shape) { return ops.broadcast_to(this, shape); };
P.gather = function (indices, axis = 0) { return ops.gather(this, indices, axis); };
