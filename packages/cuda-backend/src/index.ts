// Public API of @max-whisper/cuda-backend. Importing it registers the "cuda" backend.

export { cudaBackend, compileCuda, cudaSource, type CudaCompileOptions } from "./backend.js";
export { cudaProbe } from "./probe.js";
export { CudaError } from "./native.js";
export { compileCubin, compileHost, findNvcc, nvccVersion } from "./compile.js";
export { cacheRoot } from "./cache.js";
export { printPlan as printCudaPlan, CUDA_DIALECT, type PrintedPlan, type PrintedKernel } from "./codegen/printer.js";
export { CudaExecutable } from "./runtime/executable.js";
export { CudaDevice, HostDevice, cudaContext, type KernelDevice } from "./runtime/device.js";
