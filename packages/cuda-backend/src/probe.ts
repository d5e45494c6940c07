// Is the CUDA backend usable here? Says, in one sentence, the first thing missing: the native
// addon, the NVIDIA driver (libcuda.so.1), a GPU, or nvcc.

import { findNvcc } from "./compile.js";
import { addonError, nativeAddon } from "./native.js";

let cachedProbe: string | null | undefined;

/** null when the backend can run; else why not. Cached: hardware does not come and go. */
export function cudaProbe(): string | null {
  if (cachedProbe !== undefined) return cachedProbe;
  cachedProbe = probeOnce();
  return cachedProbe;
}

function probeOnce(): string | null {
  const addon = nativeAddon();
  if (!addon) return addonError() ?? "the cuda-backend native addon is missing";
  const why = addon.load();
  if (why) return `no NVIDIA driver: ${why}`;
  try {
    addon.init();
  } catch (e) {
    return `no GPU: the NVIDIA driver failed to initialise (${(e as Error).message.replace(/^\[cuda\] /, "")})`;
  }
  if (addon.deviceCount() < 1) return "no GPU: the NVIDIA driver sees no CUDA device";
  // Prebuilt kernel caches (MW_CUDA_PREBUILT=1) let a GPU machine without nvcc run known graphs.
  if (!findNvcc() && process.env.MW_CUDA_PREBUILT !== "1")
    return "no nvcc: CUDA's compiler is not on PATH, in $CUDA_HOME/bin or in /usr/local/cuda/bin";
  return null;
}
