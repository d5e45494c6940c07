// The correctness gate: every benchmark case is compared with the reference interpreter before it
// is timed, and a wrong result is reported as wrong, never timed.

import { DTYPE_EPS, type DType, type Tensor } from "@max-whisper/graph";

export interface GateResult {
  ok: boolean;
  maxAbsErr: number;
  /** Human-readable first mismatches (index: got vs want). */
  mismatches: string[];
}

/** Tolerance atol + |ref|·rtol, with rtol scaled from the dtype's epsilon. */
export function compareTensors(got: Tensor, want: Tensor, opts: { atol?: number; rtol?: number; dtype?: DType } = {}): GateResult {
  const dtype = opts.dtype ?? got.dtype;
  const atol = opts.atol ?? (dtype === "f32" ? 1e-4 : 2e-2);
  const rtol = opts.rtol ?? Math.max(64 * DTYPE_EPS[dtype], 1e-5);
  if (got.shape.join(",") !== want.shape.join(","))
    return { ok: false, maxAbsErr: Infinity, mismatches: [`shape [${got.shape}] vs [${want.shape}]`] };
  const a = got.toFloat64Array(), b = want.toFloat64Array();
  let maxAbsErr = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!);
    const bad = !(err <= atol + rtol * Math.abs(b[i]!)) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) && a[i] !== b[i];
    if (!Number.isNaN(err)) maxAbsErr = Math.max(maxAbsErr, err);
    if (bad && mismatches.length < 5) mismatches.push(`[${i}]: ${a[i]} vs ${b[i]}`);
    if (bad && Number.isNaN(err)) maxAbsErr = Infinity;
  }
  return { ok: mismatches.length === 0, maxAbsErr, mismatches };
}
