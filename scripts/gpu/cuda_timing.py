"""CUDA-event timing shared by the GPU benchmark scripts (bench_torch.py, ref_whisper.py)."""
import statistics

import torch


def timed(fn, iters, warmup):
    """Median and minimum milliseconds of `iters` calls of fn after `warmup` calls, each call
    between two CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ev = [torch.cuda.Event(enable_timing=True) for _ in range(iters + 1)]
    ev[0].record()
    for i in range(iters):
        fn()
        ev[i + 1].record()
    torch.cuda.synchronize()
    ms = [ev[i].elapsed_time(ev[i + 1]) for i in range(iters)]
    return {"median_ms": statistics.median(ms), "min_ms": min(ms), "iters": iters}
