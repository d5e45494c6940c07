// Public API of @max-whisper/graph.

import "./dsl/value.js";
import "./onnx/graph-method.js";

export { DTYPES, type DType, DTYPE_BYTES, DTYPE_EPS, type Storage, storageOver, f32ToF16Bits, f16BitsToF32, f32ToBf16Bits, bf16BitsToF32, roundTo, isFloat } from "./dtype.js";
export { type Dim, type Bindings, dim, dimAdd, dimSub, dimMul, dimDivExact, dimEq, evalDim, dimSymbols, shapeToString } from "./dim.js";
export { TensorType } from "./tensor-type.js";
export { Tensor } from "./tensor.js";
export { Graph, Value, type Node, currentGraph } from "./ir/graph.js";
export * as ops from "./dsl/ops.js";
export { REGISTRY, getOp, opNames, isOpName, type OpName } from "./ops/registry.js";
export type { OpDef, NDArray, FusionClass } from "./ops/types.js";
export { interpret, bindInputs, checkOutputs } from "./interp/interp.js";
export { compile, resolveBackend, bindWeights, referenceBackend } from "./session.js";
export { registerBackend, registeredBackends, isDeviceTensor, type Backend, type Executable, type CompileOptions, type Device, type DeviceTensor, type AnyTensor } from "./backend.js";
export * from "./errors.js";
export { optimize, makePass, DEFAULT_PIPELINE, type PipelineOptions, type PassName } from "./passes/pipeline.js";
export { PassManager, type Pass, type PassStat, type PassManagerOptions } from "./passes/pass-manager.js";
export { verify } from "./ir/verify.js";
export { type GraphJSON } from "./ir/serialize.js";
export { type DotOptions } from "./ir/dot.js";
export type { Expr, UnaryOp, BinaryOp } from "./plan/expr.js";
export { exportONNX, ONNX_OPSET, ONNX_IR_VERSION, type OnnxExportOptions } from "./onnx/export.js";
export { seededRandom, randomTensor } from "./random.js";
