// `graph.toONNX(options?)`: the ONNX exporter as a Graph method (see export.ts), installed the
// same way dsl/value.ts adds op methods to Value; index.ts imports this file for its effect.

import { Graph } from "../ir/graph.js";
import { exportONNX, type OnnxExportOptions } from "./export.js";

declare module "../ir/graph.js" {
  interface Graph {
    /** Serialize as an ONNX ModelProto; see exportONNX for naming and weights. */
    toONNX(options?: OnnxExportOptions): Uint8Array;
  }
}

Graph.prototype.toONNX = function (options?: OnnxExportOptions) {
  return exportONNX(this, options);
};
