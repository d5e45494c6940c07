// Public API of weight loading: safetensors I/O, WhisperConfig, tensor names, model folders and
// the Hugging Face hub downloader.

export {
  readSafetensors, readSafetensorsHeader, decodeSafetensors, encodeSafetensors, writeSafetensors,
  SafetensorsError, type SafetensorsHeader, type TensorInfo,
} from "./safetensors.js";
export { parseWhisperConfig, parseAlignmentHeads, toHuggingFaceConfig, WHISPER_PRESETS, type WhisperConfig } from "./config.js";
export { openaiToHf, hfToOpenai, expectedTensors } from "./names.js";
export { loadWhisperWeights, loadWhisperConfig, sinusoids, WeightsError, type WhisperWeights, type LoadWeightsOptions } from "./load.js";
export {
  resolveModel, modelRepoId, defaultCacheDir, findInHfCache, DownloadError,
  type ResolveModelOptions, type DownloadProgress,
} from "./hub.js";
export { downloadProgressBar } from "./progress.js";
