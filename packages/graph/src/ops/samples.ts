// One small, valid call of every registry op (operand types and attributes). The docs generator
// records which ONNX ops each entry emits from these, and the registry tests run every hook on
// them. The exhaustive type makes a new op without a sample a tsc error.

import type { OpName } from "./registry.js";
import { TensorType } from "../tensor-type.js";

export interface OpSample {
  readonly inputs: readonly TensorType[];
  readonly attrs: Record<string, unknown>;
}

const f = (...shape: (number | string)[]) => new TensorType("f32", shape);
const un = (): OpSample => ({ inputs: [f(2, 3)], attrs: {} });
const bin = (): OpSample => ({ inputs: [f(2, 3), f(3)], attrs: {} });

/** null for source ops, whose data the ONNX writer emits itself. */
export const OP_SAMPLES: { readonly [K in OpName]: OpSample | null } = {
  input: null, constant: null, weight: null,
  neg: un(), abs: un(), exp: un(), log: un(), sqrt: un(), rsqrt: un(), tanh: un(), erf: un(), sin: un(), cos: un(),
  sigmoid: un(), relu: un(), silu: un(), gelu: { inputs: [f(2, 3)], attrs: { approximate: "tanh" } },
  add: bin(), sub: bin(), mul: bin(), div: bin(), pow: bin(), maximum: bin(), minimum: bin(),
  equal: bin(), greater: bin(), greater_equal: bin(), less: bin(), less_equal: bin(),
  where: { inputs: [new TensorType("bool", [2, 3]), f(2, 3), f(1)], attrs: {} },
  cast: { inputs: [f(2, 3)], attrs: { dtype: "i32" } },
  matmul: { inputs: [f(2, 3, 4), f(4, 5)], attrs: {} },
  softmax: { inputs: [f(2, 3)], attrs: { axis: -1 } },
  log_softmax: { inputs: [f(2, 3)], attrs: { axis: -1 } },
  reduce_sum: { inputs: [f(2, 3, 4)], attrs: { axes: [0, 2], keepdims: false } },
  reduce_mean: { inputs: [f(2, 3, 4)], attrs: { axes: [-1], keepdims: true } },
  reduce_max: { inputs: [f(2, 3, 4)], attrs: { axes: [1], keepdims: false } },
  argmax: { inputs: [f(2, 3)], attrs: { axis: -1, keepdims: false } },
  layer_norm: { inputs: [f(2, 3, 4), f(4), f(4)], attrs: { epsilon: 1e-5 } },
  rms_norm: { inputs: [f(2, 3, 4), f(4)], attrs: { epsilon: 1e-6 } },
  permute: { inputs: [f(2, 3, 4)], attrs: { dims: [2, 0, 1] } },
  reshape: { inputs: [f("batch", 3, 4)], attrs: { shape: ["batch", -1] } },
  slice: { inputs: [f(5, "seq")], attrs: { starts: [1, "past"], ends: [null, "past+2"], axes: [0, 1], steps: [2, 1] } },
  concat: { inputs: [f(2, "past"), f(2, 1)], attrs: { axis: 1 } },
  pad: { inputs: [f(2, 3)], attrs: { pads: [[0, 1], [2, 0]], value: 0 } },
  broadcast_to: { inputs: [f(1, 3)], attrs: { shape: ["seq", 3] } },
  gather: { inputs: [f(5, 3), new TensorType("i32", [2, 2])], attrs: { axis: 0 } },
  iota: { inputs: [], attrs: { shape: ["seq", 4], axis: 0, dtype: "i32" } },
  conv1d: { inputs: [f(1, 4, 9), f(6, 2, 3), f(6)], attrs: { stride: 2, padding: 1, dilation: 1, groups: 2 } },
};
