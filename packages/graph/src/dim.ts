// Symbolic dimensions: a dim is a number or a canonical string naming an integer polynomial
// over symbols ("batch", "past+1", "2*seq"). Owns the small algebra that shape inference and
// kernel sizes need; binding symbols to numbers happens at execute time.

export type Dim = number | string;

/** A polynomial: monomial key ("" for the constant, "a*b" sorted) -> integer coefficient. */
type Poly = Map<string, number>;

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isSymbolName(s: string): boolean {
  return SYMBOL.test(s);
}

function parse(d: Dim): Poly {
  const p: Poly = new Map();
  if (typeof d === "number") {
    if (d !== 0) p.set("", d);
    return p;
  }
  // Terms joined by + or -, each a product of an optional integer and symbols.
  const src = d.replace(/\s+/g, "");
  const terms = src.match(/[+-]?[^+-]+/g);
  if (!terms) throw new Error(`bad symbolic dim '${d}'`);
  for (const raw of terms) {
    let sign = 1;
    let t = raw;
    if (t[0] === "+") t = t.slice(1);
    else if (t[0] === "-") { sign = -1; t = t.slice(1); }
    let coef = sign;
    const syms: string[] = [];
    for (const f of t.split("*")) {
      if (/^\d+$/.test(f)) coef *= Number(f);
      else if (SYMBOL.test(f)) syms.push(f);
      else throw new Error(`bad symbolic dim '${d}'`);
    }
    const key = syms.sort().join("*");
    addTerm(p, key, coef);
  }
  return p;
}

function addTerm(p: Poly, key: string, c: number): void {
  const v = (p.get(key) ?? 0) + c;
  if (v === 0) p.delete(key);
  else p.set(key, v);
}

function print(p: Poly): Dim {
  if (p.size === 0) return 0;
  if (p.size === 1 && p.has("")) return p.get("")!;
  // Symbolic terms by degree then name, constant last, so equal polynomials print equally.
  const keys = [...p.keys()].filter((k) => k !== "").sort((a, b) => {
    const da = a.split("*").length, db = b.split("*").length;
    return da !== db ? db - da : a < b ? -1 : a > b ? 1 : 0;
  });
  let out = "";
  for (const k of keys) {
    const c = p.get(k)!;
    const mag = Math.abs(c);
    const body = mag === 1 ? k : `${mag}*${k}`;
    out += out === "" ? (c < 0 ? `-${body}` : body) : c < 0 ? `-${body}` : `+${body}`;
  }
  const c0 = p.get("");
  if (c0 !== undefined) out += c0 < 0 ? `${c0}` : `+${c0}`;
  return out;
}

/** Canonical form of a dim: numbers stay numbers, expressions print one way. */
export function dim(d: Dim): Dim {
  return typeof d === "number" ? d : print(parse(d));
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  const p = parse(a);
  for (const [k, c] of parse(b)) addTerm(p, k, c);
  return print(p);
}

export function dimSub(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const p = parse(a);
  for (const [k, c] of parse(b)) addTerm(p, k, -c);
  return print(p);
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  const pa = parse(a), pb = parse(b);
  const p: Poly = new Map();
  for (const [ka, ca] of pa)
    for (const [kb, cb] of pb) {
      const key = [...(ka ? ka.split("*") : []), ...(kb ? kb.split("*") : [])].sort().join("*");
      addTerm(p, key, ca * cb);
    }
  return print(p);
}

/** Exact division; returns undefined when the quotient is not a polynomial with integer terms. */
export function dimDivExact(a: Dim, b: Dim): Dim | undefined {
  if (typeof a === "number" && typeof b === "number") return b !== 0 && a % b === 0 ? a / b : undefined;
  if (typeof b === "number") {
    if (b === 0) return undefined;
    const p: Poly = new Map();
    for (const [k, c] of parse(a)) {
      if (c % b !== 0) return undefined;
      p.set(k, c / b);
    }
    return print(p);
  }
  // Division by a single monomial symbol product: remove it from every term.
  const pb = parse(b);
  if (pb.size !== 1) return undefined;
  const [[kb, cb]] = [...pb] as [[string, number]];
  const bs = kb.split("*");
  const p: Poly = new Map();
  for (const [k, c] of parse(a)) {
    const syms = k ? k.split("*") : [];
    for (const s of bs) {
      const i = syms.indexOf(s);
      if (i < 0) return undefined;
      syms.splice(i, 1);
    }
    if (c % cb !== 0) return undefined;
    addTerm(p, syms.join("*"), c / cb);
  }
  return print(p);
}

export function dimEq(a: Dim, b: Dim): boolean {
  return dim(a) === dim(b);
}

export function isStatic(d: Dim): d is number {
  return typeof d === "number";
}

/** Symbols a dim mentions. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d === "number") return [];
  const out = new Set<string>();
  for (const k of parse(d).keys()) for (const s of k.split("*")) if (s) out.add(s);
  return [...out];
}

export type Bindings = Readonly<Record<string, number>>;

/** Parsed terms of symbolic dims for evalDim, which runs on every execute (bounded memo). */
const termCache = new Map<string, readonly (readonly [number, readonly string[]])[]>();

/** Evaluate a dim with symbols bound to numbers; throws naming the unbound symbol. */
export function evalDim(d: Dim, env: Bindings): number {
  if (typeof d === "number") return d;
  let terms = termCache.get(d);
  if (!terms) {
    if (termCache.size >= 4096) termCache.clear();
    terms = [...parse(d)].map(([k, c]) => [c, k ? k.split("*") : []] as const);
    termCache.set(d, terms);
  }
  let total = 0;
  for (const [c, syms] of terms) {
    let v = c;
    for (const s of syms) {
      const b = env[s];
      if (b === undefined) throw new Error(`symbolic dim '${s}' has no value (in '${d}')`);
      v *= b;
    }
    total += v;
  }
  return total;
}

export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/** Product of dims (symbolic when any is). */
export function dimProduct(shape: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of shape) p = dimMul(p, d);
  return p;
}
