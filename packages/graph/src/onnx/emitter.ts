// The interface op entries use to emit ONNX nodes; onnx/export.ts implements it.

import type { DType } from "../dtype.js";
import type { Tensor } from "../tensor.js";

export type OnnxAttr = number | string | number[] | string[] | { tensor: Tensor } | { float: number } | { floats: number[] };

export interface OnnxEmitter {
  /** ONNX opset the exporter targets. */
  readonly opset: number;
  /** Add a node with one output; returns the output's name. */
  node(opType: string, inputs: readonly string[], attrs?: Record<string, OnnxAttr>): string;
  /** Add a node with several outputs. */
  nodeMulti(opType: string, inputs: readonly string[], outputs: number, attrs?: Record<string, OnnxAttr>): string[];
  /** An initializer holding the tensor; returns its name. */
  initializer(t: Tensor): string;
  /** A 1-D int64 initializer (axes, shapes, starts …). */
  i64(values: readonly number[]): string;
  /** A scalar initializer of the given dtype. */
  scalar(dtype: DType, v: number): string;
  /** The runtime value of a symbolic dim, as an int64 [1] tensor computed from graph inputs. */
  dimValue(dim: number | string): string;
}
