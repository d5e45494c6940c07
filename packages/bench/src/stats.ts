// Timing statistics for the benchmark suites: robust summaries (median and spread) of repeated
// runs, and a timer that warms up first and repeats until both a count and a time are reached.

export interface Summary {
  n: number;
  median: number;
  /** 10th and 90th percentiles: the spread reported next to the median. */
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of an empty sample");
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0]!, max: s[s.length - 1]! };
}

export interface TimeOptions {
  warmup?: number;
  minRuns?: number;
  maxRuns?: number;
  /** Keep repeating until this much time has been spent (ms), within maxRuns. */
  minTimeMs?: number;
}

/** Time an async or sync function in milliseconds; returns the summary of the timed runs. */
export async function timeIt(fn: () => unknown, opts: TimeOptions = {}): Promise<Summary> {
  const { warmup = 2, minRuns = 5, maxRuns = 200, minTimeMs = 300 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || (performance.now() - start < minTimeMs && samples.length < maxRuns)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}
