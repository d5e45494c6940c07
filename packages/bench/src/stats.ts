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
  return (await timeInterleaved([fn], opts))[0]!;
}

/**
 * Time several functions in alternation: each round runs every function for a block of about
 * blockMs (back to back, so a warm thread pool stays warm), starting one place later each round,
 * until each has minRuns samples and minTimeMs of its own time (within maxRuns), after
 * blockWarmupMs of untimed runs at the start of each block. A machine whose speed drifts (a
 * shared VM) then slows every system alike, which one long block per system does not. Returns
 * one summary per function, in order.
 */
export async function timeInterleaved(fns: readonly (() => unknown)[], opts: TimeOptions & { blockMs?: number; blockWarmupMs?: number } = {}): Promise<Summary[]> {
  const { warmup = 2, minRuns = 5, maxRuns = 200, minTimeMs = 300, blockMs = 25, blockWarmupMs = 0 } = opts;
  const block = [];
  for (const fn of fns) {
    let t = 0;
    for (let i = 0; i < warmup; i++) {
      const t0 = performance.now();
      await fn();
      t = performance.now() - t0;
    }
    block.push(Math.max(1, Math.min(50, Math.ceil(blockMs / Math.max(t, 1e-3)))));
  }
  const samples = fns.map((): number[] => []);
  const spent = fns.map(() => 0);
  const more = (i: number) => samples[i]!.length < minRuns || (spent[i]! < minTimeMs && samples[i]!.length < maxRuns);
  for (let round = 0; fns.some((_, i) => more(i)); round++) {
    for (let j = 0; j < fns.length; j++) {
      const i = (round + j) % fns.length;
      if (!more(i)) continue;
      // Untimed runs first: the previous system's thread pool may still be spinning (onnxruntime
      // spins for tens of ms after its work), and this system's pool may have gone to sleep.
      for (const end = performance.now() + blockWarmupMs; performance.now() < end;) await fns[i]!();
      for (let b = 0; b < block[i]! && more(i); b++) {
        const t0 = performance.now();
        await fns[i]!();
        const dt = performance.now() - t0;
        samples[i]!.push(dt);
        spent[i]! += dt;
      }
    }
  }
  return samples.map((x) => summarize(x));
}
