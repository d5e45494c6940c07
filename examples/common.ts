// Helpers shared by the non-Whisper examples: the --device flag and seeded random weights.
// Only the public API of @max-whisper/graph is used.

import { Tensor, type Device, seededRandom } from "@max-whisper/graph";

/** Seeded uniform [0, 1) numbers: the same seed gives the same weights everywhere. */
export const rng = seededRandom;

const DEVICES = ["reference", "cpu", "cuda", "auto"] as const;

/** `--device X` or `--device=X` from argv; reference when absent. Throws naming a bad value. */
export function parseDevice(argv: readonly string[]): Device {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === "--device") value = argv[i + 1] ?? "";
    else if (a.startsWith("--device=")) value = a.slice("--device=".length);
  });
  if (value === undefined) return "reference";
  if (!(DEVICES as readonly string[]).includes(value))
    throw new Error(`--device: expected one of ${DEVICES.join(", ")}, got '${value}'`);
  return value as Device;
}

/** The value after a `--name` flag (or `--name=value`), if given. */
export function flag(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${name}`) value = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  });
  return value;
}

/** An f32 tensor of normal(0, std) values (Box–Muller on the seeded stream). */
export function randn(next: () => number, shape: readonly number[], std = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next(), v = next();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return Tensor.fromArray("f32", shape, out);
}

/** Print an error's message (not its stack) and exit 1: for unavailable devices and bad flags. */
export function fail(e: unknown): never {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
