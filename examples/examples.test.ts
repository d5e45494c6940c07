// The non-Whisper examples checked against independent hand-written float64 forward passes
// (plain JS loops, no graph library), plus their command-line handling.

import { describe, expect, it } from "vitest";
import { BackendUnavailableError, Tensor, compile } from "@max-whisper/graph";
import { MLP_SIZES, buildMlp } from "./mlp.js";
import { type GptConfig, buildGpt, generate, initGptWeights } from "./gpt.js";
import { parseDevice, randn, rng } from "./common.js";

type W = Record<string, Float64Array>;
const f64 = (ws: Record<string, Tensor>): W => Object.fromEntries(Object.entries(ws).map(([k, t]) => [k, t.toFloat64Array()]));

/** y[r, :] = x[r, :] · w + b for x [rows, fin], w [fin, fout]. */
function linear(x: Float64Array, rows: number, w: Float64Array, b: Float64Array, fin: number, fout: number): Float64Array {
  const y = new Float64Array(rows * fout);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < fout; o++) {
      let s = b[o]!;
      for (let i = 0; i < fin; i++) s += x[r * fin + i]! * w[i * fout + o]!;
      y[r * fout + o] = s;
    }
  return y;
}

function softmaxRow(v: Float64Array): void {
  let m = -Infinity;
  for (const x of v) m = Math.max(m, x);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] = Math.exp(v[i]! - m);
  for (let i = 0; i < v.length; i++) v[i]! /= s;
}

/** erf by Simpson's rule on 2/sqrt(pi)·exp(-t²) over [0, x] (independent of the library's series). */
function erf(x: number): number {
  const n = 2000, h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
}

function mlpForward(w: W, x: Float64Array, rows: number): Float64Array {
  let h = x;
  for (let i = 0; i + 1 < MLP_SIZES.length; i++) {
    h = linear(h, rows, w[`fc${i}.weight`]!, w[`fc${i}.bias`]!, MLP_SIZES[i]!, MLP_SIZES[i + 1]!);
    if (i + 2 < MLP_SIZES.length) h = h.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  }
  const n = MLP_SIZES[MLP_SIZES.length - 1]!;
  for (let r = 0; r < rows; r++) softmaxRow(h.subarray(r * n, (r + 1) * n));
  return h;
}

function layerNorm(x: Float64Array, rows: number, d: number, g: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0, varr = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]! / d;
    for (let i = 0; i < d; i++) varr += (x[r * d + i]! - mean) ** 2 / d;
    for (let i = 0; i < d; i++) y[r * d + i] = ((x[r * d + i]! - mean) / Math.sqrt(varr + 1e-5)) * g[i]! + b[i]!;
  }
  return y;
}

/** GPT-2 forward over `tokens`: logits [T, vocab] (row-major), written as plain loops. */
function gptForward(c: GptConfig, w: W, tokens: readonly number[]): Float64Array {
  const T = tokens.length, d = c.width, H = c.heads, hd = d / H;
  let x = new Float64Array(T * d);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < d; i++) x[t * d + i] = w.wte![tokens[t]! * d + i]! + w.wpe![t * d + i]!;
  for (let l = 0; l < c.layers; l++) {
    const p = `h.${l}.`;
    const h = layerNorm(x, T, d, w[`${p}ln_1.weight`]!, w[`${p}ln_1.bias`]!);
    const qkv = linear(h, T, w[`${p}attn.c_attn.weight`]!, w[`${p}attn.c_attn.bias`]!, d, 3 * d);
    const att = new Float64Array(T * d);
    for (let hh = 0; hh < H; hh++)
      for (let i = 0; i < T; i++) {
        // Query i sees keys 0..i only.
        const s = new Float64Array(i + 1);
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += qkv[i * 3 * d + hh * hd + e]! * qkv[j * 3 * d + d + hh * hd + e]!;
          s[j] = dot / Math.sqrt(hd);
        }
        softmaxRow(s);
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += s[j]! * qkv[j * 3 * d + 2 * d + hh * hd + e]!;
          att[i * d + hh * hd + e] = acc;
        }
      }
    const proj = linear(att, T, w[`${p}attn.c_proj.weight`]!, w[`${p}attn.c_proj.bias`]!, d, d);
    x = x.map((v, i) => v + proj[i]!);
    const h2 = layerNorm(x, T, d, w[`${p}ln_2.weight`]!, w[`${p}ln_2.bias`]!);
    const k = Math.sqrt(2 / Math.PI);
    const f = linear(h2, T, w[`${p}mlp.c_fc.weight`]!, w[`${p}mlp.c_fc.bias`]!, d, 4 * d).map((v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3))));
    const m = linear(f, T, w[`${p}mlp.c_proj.weight`]!, w[`${p}mlp.c_proj.bias`]!, 4 * d, d);
    x = x.map((v, i) => v + m[i]!);
  }
  const hf = layerNorm(x, T, d, w["ln_f.weight"]!, w["ln_f.bias"]!);
  const logits = new Float64Array(T * c.vocab);
  for (let t = 0; t < T; t++)
    for (let v = 0; v < c.vocab; v++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += hf[t * d + i]! * w.wte![v * d + i]!;
      logits[t * c.vocab + v] = s;
    }
  return logits;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("examples/mlp", () => {
  it("matches a hand-written forward pass at two batch sizes", async () => {
    const { graph, weights } = buildMlp(3);
    const exe = await compile(graph, { device: "reference", weights });
    for (const rows of [1, 4]) {
      const x = randn(rng(rows), [rows, MLP_SIZES[0]]);
      const [y] = await exe.execute(x);
      expect([...y!.shape]).toEqual([rows, MLP_SIZES[3]]);
      expect(maxAbsDiff(y!.toFloat32Array(), mlpForward(f64(weights), x.toFloat64Array(), rows))).toBeLessThan(1e-5);
    }
  });
});

describe("examples/gpt", () => {
  const tiny: GptConfig = { vocab: 16, context: 8, width: 8, heads: 2, layers: 2 };

  it("logits match a hand-written GPT-2 forward pass", async () => {
    const weights = initGptWeights(tiny, 5);
    const exe = await compile(buildGpt(tiny), { device: "reference", weights });
    const tokens = [3, 1, 4, 1, 5];
    const [logits, next] = await exe.execute(Tensor.fromArray("i32", [tokens.length], tokens));
    expect([...logits!.shape]).toEqual([tokens.length, tiny.vocab]);
    const want = gptForward(tiny, f64(weights), tokens);
    expect(maxAbsDiff(logits!.toFloat32Array(), want)).toBeLessThan(1e-4);
    const last = Array.from(want.subarray((tokens.length - 1) * tiny.vocab));
    expect(next!.get(0)).toBe(last.indexOf(Math.max(...last)));
  });

  it("greedy generation agrees with the hand-written model token by token", async () => {
    const weights = initGptWeights(tiny, 9);
    const exe = await compile(buildGpt(tiny), { device: "reference", weights });
    const prompt = [2, 7];
    const got = await generate(exe, tiny, prompt, 4);
    const seq = [...prompt];
    for (let s = 0; s < 4; s++) {
      const l = Array.from(gptForward(tiny, f64(weights), seq).subarray((seq.length - 1) * tiny.vocab));
      seq.push(l.indexOf(Math.max(...l)));
    }
    expect(got).toEqual(seq.slice(prompt.length));
  });

  it("stops generating at the context length", async () => {
    const weights = initGptWeights(tiny, 2);
    const exe = await compile(buildGpt(tiny), { device: "reference", weights });
    expect(await generate(exe, tiny, [1, 2, 3, 4, 5, 6], 10)).toHaveLength(2);
  });

  // The same graph on each native device that this machine has, against the interpreter.
  for (const device of ["cpu", "cuda"] as const)
    it(`gives the reference logits and tokens on device ${device} when available`, async (ctx) => {
      const weights = initGptWeights(tiny, 11);
      let exe;
      try {
        exe = await compile(buildGpt(tiny), { device, weights });
      } catch (e) {
        if (!(e instanceof BackendUnavailableError)) throw e;
        console.log(`skipped: ${e.message}`);
        return ctx.skip();
      }
      const ref = await compile(buildGpt(tiny), { device: "reference", weights });
      const tokens = Tensor.fromArray("i32", [6], [0, 3, 9, 3, 15, 2]);
      const [want] = await ref.execute(tokens);
      const [got] = await exe.execute(tokens);
      expect(maxAbsDiff(got!.toFloat32Array(), want!.toFloat32Array())).toBeLessThan(1e-4);
      expect(await generate(exe, tiny, [2, 7], 4)).toEqual(await generate(ref, tiny, [2, 7], 4));
      exe.dispose();
    });

  it("rejects a width that the heads do not divide", () => {
    expect(() => buildGpt({ ...tiny, heads: 3 })).toThrow(/\[gpt\] width 8 is not a multiple of heads 3/);
  });
});

describe("--device", () => {
  it("defaults to reference and accepts both flag forms", () => {
    expect(parseDevice([])).toBe("reference");
    expect(parseDevice(["--device", "cpu"])).toBe("cpu");
    expect(parseDevice(["--tokens", "3", "--device=auto"])).toBe("auto");
  });
  it("names a bad value", () => {
    expect(() => parseDevice(["--device", "gpu"])).toThrow("--device: expected one of reference, cpu, cuda, auto, got 'gpu'");
    expect(() => parseDevice(["--device"])).toThrow(/got ''/);
  });
});

describe("README", () => {
  it("the API snippet runs as written", async () => {
    // Run the README's code block (minus its import line) with `data` and `xs` supplied, so
    // the front-page example cannot drift from the real API.
    const { readFileSync } = await import("node:fs");
    const { transform } = await import("esbuild");
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /## The API\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, "README has a ```ts block under '## The API'").toBeDefined();
    const body = block!.split("\n").filter((l) => !l.startsWith("import ")).join("\n");
    const { code } = await transform(`async function snippet() {\n${body}\nreturn { y, onnxBytes };\n}`, { loader: "ts" });
    const graph = await import("@max-whisper/graph");
    const run = new Function("Graph", "TensorType", "Tensor", "ops", "compile", "data", "xs", `${code}\nreturn snippet();`);
    const data = Array.from({ length: 12 }, (_, i) => (i - 6) / 4);
    const xs = [0.5, -1, 2, 0, 1, 1, -0.5, 0.25];
    const { y, onnxBytes } = await run(graph.Graph, graph.TensorType, graph.Tensor, graph.ops, graph.compile, data, xs);
    expect([...y.shape]).toEqual([2, 3]);
    // softmax(gelu(x·w)) by hand.
    const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Float64Array.from({ length: 3 }, (_, j) => gelu([0, 1, 2, 3].reduce((s, k) => s + xs[r * 4 + k]! * data[k * 3 + j]!, 0)));
      softmaxRow(row);
      want.push(...row);
    }
    expect(maxAbsDiff(y.toFloat32Array(), want)).toBeLessThan(1e-6);
    expect(onnxBytes).toBeInstanceOf(Uint8Array);
    expect(onnxBytes.length).toBeGreaterThan(100);
  });
});
