// Ops as methods on Value (`a.matmul(b).add(c)`): thin forwards to the ops functions.

import { Value } from "../ir/graph.js";
import * as ops from "./ops.js";
import type { TensorLike } from "./ops.js";
import type { DType } from "../dtype.js";

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
