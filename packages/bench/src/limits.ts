// The machine's own limits, measured by the suite: peak FMA throughput and memory bandwidth
// (STREAM triad), both from loops in the cpu-backend addon running on every core.

export interface Limits {
  gflops?: number;
  gbs?: number;
  reason?: string;
}

export async function measureLimits(): Promise<Limits> {
  try {
    const native = await import("@max-whisper/cpu-backend/native");
    const gflops = native.peakFma(300);
    const gbs = native.triad(256 * 2 ** 20, 10);
    return { gflops, gbs };
  } catch (e) {
    return { reason: `cpu-backend addon unavailable: ${(e as Error).message}` };
  }
}

/**
 * A short probe of one limit (FMA peak, or triad bandwidth over arrays larger than the caches)
 * to run in alternation with the systems of a case: each call adds one reading, so the readings
 * see the same fast and slow spells of the machine as the case's own runs. A probe right after
 * another system's run reads low (onnxruntime's pool spins for tens of milliseconds after its
 * work and takes the cores), so each FMA reading follows 40 untimed milliseconds of the same
 * loop; a triad reading allocates, touches and warms its arrays first anyway. The case's limit
 * is the median reading, the statistic its systems are reported by. Undefined without the addon.
 */
export async function limitProbe(bound: "compute" | "memory", readings: number[]): Promise<(() => Promise<void>) | undefined> {
  const native = await import("@max-whisper/cpu-backend/native").catch(() => undefined);
  if (!native) return undefined;
  return async () => {
    if (bound === "compute") {
      native.peakFma(40);
      readings.push(native.peakFma(100));
    } else readings.push(native.triad(48 * 2 ** 20, 3));
  };
}
