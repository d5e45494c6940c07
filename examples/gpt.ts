// A small GPT-style decoder LM (token + position embeddings, pre-norm blocks with causal
// self-attention and a GELU MLP, tied logits) built from the public graph API, with seeded random
// weights and greedy generation. Run: `pnpm example:gpt [--device reference|cpu|cuda|auto] [--tokens N]`.

import { fileURLToPath } from "node:url";
import { Graph, TensorType, Tensor, ops, compile, type Executable, type Value } from "@max-whisper/graph";
import { fail, flag, parseDevice, randn, rng } from "./common.js";

export interface GptConfig {
  vocab: number;
  /** Longest sequence (rows of the position table). */
  context: number;
  width: number;
  heads: number;
  layers: number;
}

export const GPT_SMALL: GptConfig = { vocab: 96, context: 32, width: 64, heads: 4, layers: 2 };

/** Weight names and shapes, GPT-2 style (linear weights stored [in, out]). */
export function gptWeightShapes(c: GptConfig): Record<string, number[]> {
  const d = c.width;
  const s: Record<string, number[]> = { wte: [c.vocab, d], wpe: [c.context, d], "ln_f.weight": [d], "ln_f.bias": [d] };
  for (let i = 0; i < c.layers; i++) {
    const p = `h.${i}.`;
    Object.assign(s, {
      [`${p}ln_1.weight`]: [d], [`${p}ln_1.bias`]: [d],
      [`${p}attn.c_attn.weight`]: [d, 3 * d], [`${p}attn.c_attn.bias`]: [3 * d],
      [`${p}attn.c_proj.weight`]: [d, d], [`${p}attn.c_proj.bias`]: [d],
      [`${p}ln_2.weight`]: [d], [`${p}ln_2.bias`]: [d],
      [`${p}mlp.c_fc.weight`]: [d, 4 * d], [`${p}mlp.c_fc.bias`]: [4 * d],
      [`${p}mlp.c_proj.weight`]: [4 * d, d], [`${p}mlp.c_proj.bias`]: [d],
    });
  }
  return s;
}

/** Seeded weights: N(0, 0.02)-ish matrices as in GPT-2, norms near 1, small biases. */
export function initGptWeights(c: GptConfig, seed = 1): Record<string, Tensor> {
  const next = rng(seed);
  const out: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(gptWeightShapes(c))) {
    if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name === "ln_f.weight") {
      const t = randn(next, shape, 0.1);
      out[name] = Tensor.fromArray("f32", shape, Array.from(t.toFloat32Array(), (v) => 1 + v));
    } else out[name] = randn(next, shape, name.endsWith("bias") ? 0.02 : name === "wte" || name === "wpe" ? 0.5 : 0.2);
  }
  return out;
}

/**
 * The forward graph over a whole (symbolic-length) token sequence: input i32[seq], outputs the
 * logits f32[seq, vocab] and the greedy next token (argmax of the last row). One compiled graph
 * serves every length; there is no kv-cache here (see packages/whisper for one).
 */
export function buildGpt(c: GptConfig): Graph {
  if (c.width % c.heads !== 0) throw new Error(`[gpt] width ${c.width} is not a multiple of heads ${c.heads}`);
  const g = new Graph("gpt", [new TensorType("i32", ["seq"])]);
  const W = (name: string) => g.weight(name, new TensorType("f32", gptWeightShapes(c)[name]!));
  const [tokens] = g.inputs;
  const d = c.width, hd = d / c.heads;
  const linear = (x: Value, p: string) => ops.add(ops.matmul(x, W(`${p}.weight`)), W(`${p}.bias`));
  const norm = (x: Value, p: string) => ops.layer_norm(x, W(`${p}.weight`), W(`${p}.bias`), 1e-5);
  // [seq, d] <-> [heads, seq, hd]
  const toHeads = (x: Value) => ops.permute(ops.reshape(x, ["seq", c.heads, hd]), [1, 0, 2]);
  const fromHeads = (x: Value) => ops.reshape(ops.permute(x, [1, 0, 2]), ["seq", d]);

  const wte = W("wte");
  const positions = ops.iota(["seq"], 0, "i32", g);
  let x = ops.add(ops.gather(wte, tokens!, 0), ops.gather(W("wpe"), positions, 0));
  for (let i = 0; i < c.layers; i++) {
    const p = `h.${i}`;
    const [q, k, v] = ops.split(linear(norm(x, `${p}.ln_1`), `${p}.attn.c_attn`), [d, d, d], -1);
    const att = ops.scaled_dot_product_attention(toHeads(q!), toHeads(k!), toHeads(v!), { causal: true });
    x = ops.add(x, linear(fromHeads(att), `${p}.attn.c_proj`));
    const h = ops.gelu(linear(norm(x, `${p}.ln_2`), `${p}.mlp.c_fc`), "tanh");
    x = ops.add(x, linear(h, `${p}.mlp.c_proj`));
  }
  // Tied output projection: logits against the token embedding.
  const logits = ops.matmul(norm(x, "ln_f"), ops.transpose(wte, 0, 1));
  const next = ops.argmax(ops.slice(logits, [-1], [null], [0]), -1);
  g.output(logits, next);
  return g;
}

/** Greedy decoding: append the argmax token `steps` times (bounded by the context length). */
export async function generate(exe: Executable, c: GptConfig, prompt: readonly number[], steps: number): Promise<number[]> {
  const seq = [...prompt];
  for (let s = 0; s < steps && seq.length < c.context; s++) {
    const [, next] = await exe.execute(Tensor.fromArray("i32", [seq.length], seq));
    seq.push(next!.get(0));
  }
  return seq.slice(prompt.length);
}

export async function main(argv: readonly string[]): Promise<void> {
  const device = parseDevice(argv);
  const steps = Number(flag(argv, "tokens") ?? 8);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--tokens: expected a positive integer, got '${flag(argv, "tokens")}'`);
  const cfg = GPT_SMALL;
  const graph = buildGpt(cfg);
  const weights = initGptWeights(cfg);
  const t0 = performance.now();
  const exe = await compile(graph, { device, weights });
  const t1 = performance.now();
  const prompt = [1, 17, 42, 5];
  const out = await generate(exe, cfg, prompt, steps);
  const t2 = performance.now();
  const params = Object.values(weights).reduce((a, t) => a + t.size, 0);
  console.log(`gpt (${cfg.layers} layers, width ${cfg.width}, ${cfg.heads} heads, vocab ${cfg.vocab}, ${params} params, random weights)`);
  console.log(`device ${exe.device}: compile ${(t1 - t0).toFixed(1)} ms, ${out.length} tokens in ${(t2 - t1).toFixed(1)} ms`);
  console.log(`prompt    ${prompt.join(" ")}`);
  console.log(`generated ${out.join(" ")}`);
  exe.dispose();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2)).catch(fail);
