// Public API of @max-whisper/whisper: the Whisper model class and the modules it is built from.

export { Whisper, type LoadOptions, type CreateOptions, type GreedyOptions } from "./whisper.js";
export { transcribe, type TranscribeOptions, type TranscribeResult, type Segment } from "./transcribe.js";
export { formatResult, writeResult, formatTimestamp, OUTPUT_FORMATS, type OutputFormat, type SubtitleOptions } from "./output/writers.js";
export * from "./model/index.js";
export { greedyDecode, argmaxSuppressed, type StepDecoder, type GreedyDecodeOptions, type GreedyDecodeResult } from "./decoding/greedy.js";
export * from "./audio/index.js";
export * from "./tokenizer/index.js";
export * from "./weights/index.js";
export { writeGgml, readGgmlIndex, exportModelToGgml, GGML_MAGIC, type GgmlModel, type GgmlHParams } from "./export/ggml.js";
