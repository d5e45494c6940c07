// Symbolic dim algebra (dim.ts, plus dimFloorDiv in ops/util.ts): canonical forms, arithmetic
// checked by evaluation at random symbol values, exact division, and errors.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Dim, dim, dimAdd, dimDivExact, dimEq, dimMul, dimProduct, dimSub, dimSymbols, evalDim } from "./dim.js";
import { dimFloorDiv } from "./ops/util.js";

const SYMS = ["a", "b", "seq"] as const;
/** Random integer polynomials of degree <= 2 over a few symbols, printed loosely. */
const polyArb: fc.Arbitrary<string> = fc.array(
  fc.tuple(fc.integer({ min: -5, max: 5 }), fc.subarray([...SYMS], { maxLength: 2 })), { minLength: 1, maxLength: 4 },
).map((terms) => terms.map(([c, s], i) => `${c < 0 ? "-" : i ? "+" : ""}${[String(Math.abs(c)), ...s].join("*")}`).join(""));
const envArb = fc.record({ a: fc.integer({ min: 0, max: 50 }), b: fc.integer({ min: 0, max: 50 }), seq: fc.integer({ min: 0, max: 50 }) });

describe("dim", () => {
  it("prints one canonical form per polynomial", () => {
    expect(dim("seq + 1")).toBe("seq+1");
    expect(dim("1+seq")).toBe("seq+1");
    expect(dim("b*a + a*b")).toBe("2*a*b");
    expect(dim("seq - seq + 3")).toBe(3);
    expect(dim("2*seq*batch-batch")).toBe("2*batch*seq-batch");
    expect(dimEq("past+1", "1+past")).toBe(true);
    expect(dimEq("past", 1)).toBe(false);
    expect(dimEq(4, 4)).toBe(true);
  });

  it("adds, subtracts and multiplies", () => {
    expect(dimAdd("past", 1)).toBe("past+1");
    expect(dimAdd("past", "seq")).toBe("past+seq");
    expect(dimAdd("n-1", 1)).toBe("n");
    expect(dimSub("past+seq", "past")).toBe("seq");
    expect(dimSub(3, 5)).toBe(-2);
    expect(dimMul("batch", "seq")).toBe("batch*seq");
    expect(dimMul("n+1", "n-1")).toBe("n*n-1");
    expect(dimProduct(["batch", "seq", 384])).toBe("384*batch*seq");
    expect(dimProduct([])).toBe(1);
    expect(dimSymbols("2*batch*seq+past")).toEqual(expect.arrayContaining(["batch", "seq", "past"]));
  });

  it("divides exactly, or says it cannot", () => {
    expect(dimDivExact("384*batch*seq", 384)).toBe("batch*seq");
    expect(dimDivExact("384*batch*seq", "batch*seq")).toBe(384);
    expect(dimDivExact("2*n+4", 2)).toBe("n+2");
    expect(dimDivExact("2*n+3", 2)).toBeUndefined();
    expect(dimDivExact("n*m+n", "n")).toBe("m+1");
    expect(dimDivExact("n+m", "n")).toBeUndefined();
    expect(dimDivExact("n", "n+1")).toBeUndefined();
    expect(dimDivExact(6, 4)).toBeUndefined();
    expect(dimDivExact(6, 0)).toBeUndefined();
    expect(dimFloorDiv("2*n+1", 2)).toBe("n");
    expect(dimFloorDiv("2*n-1", 2)).toBe("n-1");
    expect(dimFloorDiv("n", 2)).toBeUndefined();
    expect(dimFloorDiv(-3, 2)).toBe(-2);
  });

  it("evaluates with bindings and names an unbound symbol", () => {
    expect(evalDim("2*batch*seq-batch+7", { batch: 3, seq: 4 })).toBe(28);
    expect(evalDim(5, {})).toBe(5);
    expect(() => evalDim("past+seq", { seq: 1 })).toThrow(/symbolic dim 'past' has no value \(in 'past\+seq'\)/);
    expect(() => dim("2seq")).toThrow(/bad symbolic dim/);
  });

  it("property: the algebra agrees with integer arithmetic at every binding", () => {
    // `+ 0` folds -0 into 0: the algebra is over integers, where they are the same.
    const ev = (d: Dim, env: Record<string, number>) => evalDim(d, env) + 0;
    fc.assert(fc.property(polyArb, polyArb, envArb, (p, q, env) => {
      const P = ev(p, env), Q = ev(q, env);
      expect(ev(dim(p), env)).toBe(P);
      expect(ev(dimAdd(p, q), env)).toBe(P + Q + 0);
      expect(ev(dimSub(p, q), env)).toBe(P - Q + 0);
      expect(ev(dimMul(p, q), env)).toBe(P * Q + 0);
      const d = dimDivExact(dimMul(p, 6), 3);
      expect(d).toBeDefined();
      expect(ev(d as Dim, env)).toBe(2 * P + 0);
      // Equal polynomials print equally (the canonical form is unique).
      expect(dimEq(dimAdd(p, q), dimAdd(q, p))).toBe(true);
      expect(dimSub(dimAdd(p, q), q)).toEqual(dim(p));
    }), { numRuns: 200 });
  });

  it("property: dimFloorDiv(s·q + r, s) is q for 0 <= r < s", () => {
    fc.assert(fc.property(polyArb, fc.integer({ min: 1, max: 5 }), fc.nat(4), envArb, (q, s, r0, env) => {
      const r = r0 % s;
      const got = dimFloorDiv(dimAdd(dimMul(q, s), r), s);
      expect(got).toBeDefined();
      expect(evalDim(got!, env) + 0).toBe(evalDim(q, env) + 0);
    }), { numRuns: 100 });
  });
});
