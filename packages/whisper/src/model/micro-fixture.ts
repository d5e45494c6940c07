// Test support for the model tests: paths into ../shared/fixtures/whisper-micro, raw .bin readers,
// closeness checks, and the devices to test on. Not part of the package's public API.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Device, Tensor, resolveBackend } from "@max-whisper/graph";

export const MICRO_DIR = fileURLToPath(new URL("../../../../../shared/fixtures/whisper-micro/", import.meta.url));

export function microPath(name: string): string {
  return MICRO_DIR + name;
}

export function readF32(name: string, shape: readonly number[]): Tensor {
  const b = readFileSync(microPath(name));
  return Tensor.fromBytes("f32", shape, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

export function readI32(name: string): number[] {
  const b = readFileSync(microPath(name));
  return Array.from(new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
}

export function microConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(microPath("config.json"), "utf8")) as Record<string, unknown>;
}

/** Largest |a - b| and its index (NaN counts as a mismatch). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return { max: NaN, at: i };
    if (d > max) { max = d; at = i; }
  }
  return { max, at };
}

export function expectClose(actual: Tensor | Float32Array, expected: Tensor | Float32Array, atol: number, what: string): void {
  const a = actual instanceof Tensor ? actual : new Tensor("f32", [actual.length], actual);
  const e = expected instanceof Tensor ? expected : new Tensor("f32", [expected.length], expected);
  if (a.shape.join() !== e.shape.join()) throw new Error(`${what}: shape [${a.shape}] differs from expected [${e.shape}]`);
  const av = a.toFloat32Array(), ev = e.toFloat32Array();
  const { max, at } = maxAbsDiff(av, ev);
  if (!(max <= atol)) {
    const bad: string[] = [];
    for (let i = 0; i < av.length && bad.length < 5; i++)
      if (!(Math.abs(av[i]! - ev[i]!) <= atol)) bad.push(`[${i}] ${av[i]} vs ${ev[i]}`);
    throw new Error(`${what}: max |diff| ${max} at ${at} exceeds ${atol}; first mismatches: ${bad.join(", ")}`);
  }
}

/** Devices to test: reference always; cpu when its backend probes clean (else the reason is printed). */
export async function testDevices(): Promise<Exclude<Device, "auto">[]> {
  const out: Exclude<Device, "auto">[] = ["reference"];
  try {
    // The backend registers itself on import. Library code never imports it (compile() loads it
    // by name); tests import it from here, where it is a devDependency and always resolvable.
    await import("@max-whisper/cpu-backend");
    await resolveBackend("cpu");
    out.push("cpu");
  } catch (e) {
    process.stderr.write(`skipping cpu device: ${(e as Error).message}\n`);
  }
  return out;
}
