#!/usr/bin/env bash
# Run THERE (the GPU machine), from the repo root, with $OUT set and .carry/gpu carried:
# unpacks node, then runs every CUDA test and benchmark in one script (< 6 minutes), writing
# results.json, results.md and log.txt to $OUT (partial results survive a kill).
set -uo pipefail
C=.carry/gpu
OUT=${OUT:?set OUT to the results folder}
mkdir -p "$OUT"
NODE=/tmp/mw-node
if [ ! -x "$NODE" ]; then xz -dc "$C/node.xz" > "$NODE" && chmod +x "$NODE"; fi
# The prebuilt kernel cache travels packed (build-bundle.sh).
if [ -f "$C/cache.tar.xz" ] && [ ! -d "$C/cache" ]; then xz -dc "$C/cache.tar.xz" | tar -C "$C" -xf -; fi
{ nvidia-smi; nvcc --version; python3 -c 'import torch; print("torch", torch.__version__)'; } > "$OUT/env.txt" 2>&1 || true
export MAX_WHISPER_CACHE="$PWD/$C/cache" MW_CUDA_PREBUILT=1 MW_FIXTURES="$PWD/$C/fixtures" OUT
export MW_GPU_BUDGET_S=${MW_GPU_BUDGET_S:-320}
# Bundled modules find the whisper package data relative to the bundle (../../assets).
[ -e assets ] || ln -s packages/whisper/assets assets
timeout -k 5 345 "$NODE" "$C/gpu-main.mjs" 2>&1 | tee "$OUT/log.txt"
echo "exit ${PIPESTATUS[0]}" >> "$OUT/log.txt"
