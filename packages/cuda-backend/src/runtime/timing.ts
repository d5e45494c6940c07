// GPU timing with CUDA events: one event between consecutive runs, a single sync at the end,
// and the median of the per-run times (robust to the odd slow launch).

import type { CudaDevice } from "./device.js";

export interface Timing {
  median_ms: number;
  min_ms: number;
  iters: number;
}

export function timeOnStream(dev: CudaDevice, fn: () => void, iters = 50, warmup = 10): Timing {
  const a = dev.context.addon;
  for (let i = 0; i < warmup; i++) fn();
  dev.sync();
  const ev = Array.from({ length: iters + 1 }, () => a.eventCreate());
  try {
    a.eventRecord(ev[0]!, dev.stream);
    for (let i = 0; i < iters; i++) {
      fn();
      a.eventRecord(ev[i + 1]!, dev.stream);
    }
    a.eventSynchronize(ev[iters]!);
    const ms = ev.slice(1).map((e, i) => a.eventElapsedTime(ev[i]!, e)).sort((x, y) => x - y);
    return { median_ms: ms[Math.floor(ms.length / 2)]!, min_ms: ms[0]!, iters };
  } finally {
    for (const e of ev) a.eventDestroy(e);
  }
}
