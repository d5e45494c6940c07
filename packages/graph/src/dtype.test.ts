// f16/bf16 storage in Tensor: exact round-to-nearest-even from float64 (ties, subnormals,
// overflow, the double-rounding trap) checked against an independent table search, plus decoding
// of every bit pattern.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, roundTo } from "./index.js";

/** All non-negative finite values of a binary format, by bit pattern, plus the value where inf starts. */
function table(expBits: number, mantBits: number): Float64Array {
  const bias = 2 ** (expBits - 1) - 1;
  const maxFinite = ((2 ** expBits - 1) << mantBits) - 1;
  const t = new Float64Array(maxFinite + 2);
  for (let b = 0; b <= maxFinite + 1; b++) {
    const e = b >>> mantBits, m = b & ((1 << mantBits) - 1);
    t[b] = e === 0 ? m * 2 ** (1 - bias - mantBits) : (2 ** mantBits + m) * 2 ** (e - bias - mantBits);
  }
  return t; // t[maxFinite + 1] is the first value past the top: it encodes as inf
}
const F16 = table(5, 10), BF16 = table(8, 7);

/** Round x to the format by binary search over its value table, ties to the even bit pattern. */
function expectedBits(tab: Float64Array, signBit: number, x: number): number {
  const inf = tab.length - 1;
  if (Number.isNaN(x)) return -1;
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.abs(x);
  if (a >= tab[inf]!) return sign | inf;
  let lo = 0, hi = inf;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (tab[mid]! <= a) lo = mid;
    else hi = mid;
  }
  if (tab[lo] === a) return sign | lo;
  // Both differences are exact (Sterbenz), so the comparison decides ties exactly.
  const dl = a - tab[lo]!, dh = tab[hi]! - a;
  return sign | (dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi);
}

function bitsOf(dtype: "f16" | "bf16", values: number[]): number[] {
  return [...(Tensor.fromArray(dtype, [values.length], values).data as Uint16Array)];
}

const FORMATS = [
  { dtype: "f16" as const, tab: F16, sign: 0x8000, expMask: 0x7c00 },
  { dtype: "bf16" as const, tab: BF16, sign: 0x8000, expMask: 0x7f80 },
];

describe.each(FORMATS)("$dtype rounding", ({ dtype, tab, sign, expMask }) => {
  const check = (values: number[]) => {
    const got = bitsOf(dtype, values);
    values.forEach((v, i) => {
      const want = expectedBits(tab, sign, v);
      if (want === -1) expect((got[i]! & expMask) === expMask && (got[i]! & ~expMask & 0x7fff) !== 0, `NaN for ${v}`).toBe(true);
      else expect(got[i], `${dtype} bits of ${v}`).toBe(want);
    });
  };

  it("decodes every bit pattern to its table value", () => {
    const n = 1 << 16;
    const all = new Tensor(dtype, [n], Uint16Array.from({ length: n }, (_, i) => i)).toArray();
    const fin = tab.length - 1;
    expect(all.slice(0, fin)).toEqual([...tab.subarray(0, fin)]);
    expect(all.slice(sign, sign + fin)).toEqual([...tab.subarray(0, fin)].map((v) => -v));
    expect(all[tab.length - 1]).toBe(Infinity);
    expect(Number.isNaN(all[tab.length]!)).toBe(true);
  });

  it("rounds exact midpoints to even, and values just off a midpoint to the nearer side", () => {
    const values: number[] = [];
    // Every adjacent pair in the subnormal range and a stride through the normals.
    for (let b = 0; b < tab.length - 1; b += b < 1100 ? 1 : 37) {
      const mid = (tab[b]! + tab[b + 1]!) / 2;
      // mid·(1 ± 2^-40) rounds to mid in f32: converting through f32 first would round wrongly.
      values.push(mid, -mid, mid * (1 + 2 ** -40), mid * (1 - 2 ** -40), tab[b]!);
    }
    check(values);
  });

  it("handles zero, infinities, NaN, overflow and underflow", () => {
    const top = tab[tab.length - 2]!, past = tab[tab.length - 1]!;
    check([0, -0, Infinity, -Infinity, NaN, top, (top + past) / 2, ((top + past) / 2) * (1 - 2 ** -40), 1e300, -1e300,
      tab[1]! / 2, (tab[1]! / 2) * (1 + 2 ** -40), 1e-300, -1e-300, 5e-324]);
  });

  it("property: random doubles of every magnitude round like the table search", () => {
    fc.assert(fc.property(fc.array(fc.double({ noNaN: false }), { minLength: 1, maxLength: 50 }), check), { numRuns: 200 });
    fc.assert(fc.property(fc.array(fc.double({ min: -2 * tab[tab.length - 1]!, max: 2 * tab[tab.length - 1]! }), { minLength: 1, maxLength: 50 }), check), { numRuns: 200 });
  });

  it("roundTo agrees with storing and reading back", () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), (v) => {
      expect(roundTo(dtype, v)).toBe(Tensor.fromArray(dtype, [1], [v]).toArray()[0]);
    }), { numRuns: 200 });
  });
});

it("known bit patterns", () => {
  expect(bitsOf("f16", [1, -2, 65504, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 0.1, 1 / 3])).toEqual(
    [0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002, 0x2e66, 0x3555]);
  expect(bitsOf("bf16", [1, -2, 0.1, 1 / 3, 3.4e38, 2 ** -133, 1 + 2 ** -8, 1 + 3 * 2 ** -8])).toEqual(
    [0x3f80, 0xc000, 0x3dcd, 0x3eab, 0x7f80, 0x0001, 0x3f80, 0x3f82]);
});
