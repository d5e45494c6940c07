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
