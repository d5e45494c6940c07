// Public surface of the model graphs: dims, weight naming, graph builders and the decoder session.

export { type WhisperDims, type AlignmentHead, alignmentHeadsFor } from "./dims.js";
export { type WeightDType, storageDType, canonicalWeights } from "./params.js";
export { buildEncoder, type BuildOptions } from "./encoder.js";
export { buildCrossKV, buildDecoder, type DecoderVariant } from "./decoder.js";
export { DecoderSession, type DecoderSessionOptions, type DecoderExecutables } from "./session.js";
