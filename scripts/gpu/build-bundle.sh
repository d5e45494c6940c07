#!/usr/bin/env bash
# Run HERE (a machine with nvcc, no GPU needed): builds .carry/gpu/ for one GPU run:
#   gpu-main.mjs (+ whisper-stage.mjs when the whisper package bundles), mw_cuda.node, the
#   kernel headers, node.xz (this machine's node, xz -9), the whisper-micro fixtures the parity
#   stage reads, and a kernel cache prebuilt for $MW_GPU_ARCH (default sm_90: H100/H200).
# Then runs the bundle here, where it must report the missing GPU and pass the CPU-harness suite.
# Usage: bash scripts/gpu/build-bundle.sh [--no-selftest]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
C=.carry/gpu
ARCH=${MW_GPU_ARCH:-sm_90}
FIX=${MW_FIXTURES_SRC:-$ROOT/../shared/fixtures/whisper-micro}
mkdir -p "$C"
say() { echo "[build-bundle] $*"; }

say "native addon"
if [ ! -f packages/cuda-backend/build/Release/mw_cuda.node ]; then
  (cd packages/cuda-backend && npx cmake-js compile --directory native --out build --log-level warn)
fi
cp packages/cuda-backend/build/Release/mw_cuda.node "$C/"
rm -rf "$C/native" && mkdir -p "$C/native"
cp -r packages/cuda-backend/native/include packages/cuda-backend/native/harness "$C/native/"
cp scripts/gpu/bench_torch.py scripts/gpu/ref_whisper.py scripts/gpu/cuda_timing.py "$C/"

say "bundles (esbuild, node platform, nothing external)"
BANNER="import { createRequire as __mwCreateRequire } from 'node:module'; const require = __mwCreateRequire(import.meta.url);"
npx esbuild scripts/gpu/gpu-main.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$C/gpu-main.mjs" --banner:js="$BANNER" --log-level=warning
if npx esbuild scripts/gpu/whisper-stage.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$C/whisper-stage.mjs" --banner:js="$BANNER" --log-level=error; then
  say "whisper stage bundled"
else
  rm -f "$C/whisper-stage.mjs"
  say "whisper stage NOT bundled (the whisper package does not build yet): the GPU run will skip parity"
fi

say "node binary"
NODE_BIN=$(command -v node)
STAMP="$(stat -c '%s %Y' "$NODE_BIN") $NODE_BIN"
if [ ! -f "$C/node.xz" ] || [ "$(cat "$C/node.stamp" 2>/dev/null)" != "$STAMP" ]; then
  xz -9 -T0 -c "$NODE_BIN" > "$C/node.xz.tmp" && mv "$C/node.xz.tmp" "$C/node.xz"
  echo "$STAMP" > "$C/node.stamp"
fi

say "fixtures (only what the parity stage reads)"
mkdir -p "$C/fixtures/whisper-micro"
for f in config.json model.safetensors mel.bin encoder_out.bin prompt_tokens.bin logits_step0.bin greedy_tokens.bin suppress_tokens.json; do
  [ -f "$FIX/$f" ] && cp "$FIX/$f" "$C/fixtures/whisper-micro/"
done

if [ "${MW_SKIP_PREBUILD:-}" = 1 ]; then
  say "prebuild skipped (MW_SKIP_PREBUILD=1): the GPU run will compile with its own nvcc"
else
say "prebuilding kernels for $ARCH"
# Compiled in the user's own cache (kept between builds); only the cubins this run needs are
# copied, in their nvcc-version-free form, into the carried cache.
rm -rf "$C/cache" "$C/cache.tar.xz"
node "$C/gpu-main.mjs" --prebuild "$ARCH" "$PWD/$C/cache"
if [ -f "$C/whisper-stage.mjs" ]; then
  MW_FIXTURES="$PWD/$C/fixtures" node "$C/whisper-stage.mjs" --prebuild "$ARCH" "$PWD/$C/cache" \
    || say "whisper prebuild failed: the GPU run will compile those graphs with its own nvcc"
fi
fi

# Cubins are mostly zeros and tables: packed, they take a fraction of the carry's 64 MiB.
if [ -d "$C/cache" ]; then
  tar -C "$C" -cf - cache | xz -9 -T0 > "$C/cache.tar.xz" && rm -rf "$C/cache"
fi

SIZE=$(du -sb "$C" | cut -f1)
say "carry size: $((SIZE / 1024 / 1024)) MiB"
if [ "$SIZE" -gt $((60 * 1024 * 1024)) ]; then say "ERROR: carry over 60 MiB"; exit 1; fi

if [ "${1:-}" != "--no-selftest" ]; then
  say "self-test here (expects 'no GPU' and a passing CPU-harness suite)"
  OUT=$(mktemp -d) MW_GPU_BUDGET_S=300 MAX_WHISPER_CACHE="$(mktemp -d)" node "$C/gpu-main.mjs" | tail -5
fi
say "done: run on the GPU machine with  bash scripts/gpu/gpu-run.sh  (carry .carry/gpu)"
