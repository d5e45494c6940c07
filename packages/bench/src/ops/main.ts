// `pnpm bench:ops`: every op family at Whisper shapes on every available backend, with
// onnxruntime-node and PyTorch (CPU) side by side. Each result is checked against the reference
// interpreter before it is timed; a wrong result is reported, never timed. max-whisper and
// onnxruntime run twice per case: allocating a fresh result per run, and into a reused one.
//   flags: --filter TEXT  --devices cpu,cuda  --no-peers  --min-time MS  --out DIR

import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Tensor, compile, interpret, resolveBackend } from "@max-whisper/graph";
import { compareTensors } from "../gate.js";
import { machineInfo } from "../machine.js";
import { type CaseResult, writeReport } from "../report.js";
import { summarize, timeInterleaved } from "../stats.js";
import { ortForGraph } from "../peers/ort.js";
import { runTorchCases, torchUnavailable, type TorchCase } from "../peers/torch.js";
import { limitProbe, measureLimits } from "../limits.js";
import { opCases } from "./cases.js";

const { values: flags } = parseArgs({
  options: {
    filter: { type: "string" },
    devices: { type: "string", default: "cpu,cuda" },
    "no-peers": { type: "boolean", default: false },
    "min-time": { type: "string", default: "400" },
    out: { type: "string", default: path.resolve(import.meta.dirname, "../../../../docs/benchmarks") },
  },
});

/**
 * Suffix of the systems that write the result into one output tensor reused from run to run
 * (executeInto; onnxruntime's preallocated fetches) rather than a fresh one per run: the
 * kernel's own work, without the page faults (and the kernel's zeroing) of touching new memory,
 * which for a 54 MB softmax result is half the run and for a 9 MB GEMM result 5-10 %.
 */
const REUSED = ", reused output";

const log = (s: string) => process.stderr.write(`${s}\n`);
const minTimeMs = Number(flags["min-time"]);

async function main() {
  const machine = machineInfo();
  const first = await measureLimits();
  log(`machine: ${machine.cpu}, ${machine.cores} cores; limits ${JSON.stringify(first)}`);
  const devices: string[] = [];
  for (const d of flags.devices!.split(",")) {
    try {
      await resolveBackend(d as "cpu");
      devices.push(d);
    } catch (e) {
      log(`device ${d}: skipped (${(e as Error).message})`);
    }
  }
  const cases = opCases().filter((c) => !flags.filter || c.name.includes(flags.filter));
  const results: CaseResult[] = [];
  const torchJobs: { c: (typeof cases)[number]; ref: Tensor; tc: TorchCase }[] = [];
  const notes: string[] = [];
  const byCase = new Map(cases.map((c) => [c.name, c]));
  const caseLimit = new Map<string, number>();

  for (const [i, c] of cases.entries()) {
    log(`[${i + 1}/${cases.length}] ${c.name}`);
    const { graph, inputs, torchInputs } = c.build();
    const [ref] = interpret(graph, inputs);
    // Every runnable system is gated against the reference, then the ones that pass are timed
    // in alternation (see timeInterleaved), so a slow spell of the machine hits all of them.
    const timed: { system: string; run: () => Promise<Tensor[]> }[] = [];
    const cleanup: (() => unknown)[] = [];
    const fail = (system: string, e: unknown) =>
      results.push({ case: c.name, system, status: "error", reason: (e as Error).message.split("\n")[0]!.slice(0, 160) });
    const gate = async (system: string, run: () => Promise<Tensor[]>) => {
      try {
        const [got] = await run();
        const g = compareTensors(got!, ref!);
        if (g.ok) timed.push({ system, run });
        else results.push({ case: c.name, system, status: "wrong", reason: `max err ${g.maxAbsErr.toExponential(2)}; ${g.mismatches.slice(0, 2).join(", ")}` });
      } catch (e) {
        fail(system, e);
      }
    };
    for (const d of devices) {
      const exe = await compile(graph, { device: d as "cpu" }).catch((e: Error) => e);
      if (exe instanceof Error) {
        fail(`max-whisper ${d}`, exe);
        continue;
      }
      cleanup.push(() => exe.dispose());
      await gate(`max-whisper ${d}`, () => exe.execute(...inputs));
      const outs = [new Tensor(ref!.dtype, ref!.shape)];
      await gate(`max-whisper ${d}${REUSED}`, () => exe.executeInto(outs, ...inputs));
    }
    if (!flags["no-peers"]) {
      const ort = await ortForGraph(graph).catch((e: Error) => e);
      if (ort instanceof Error) results.push({ case: c.name, system: "onnxruntime-node", status: "error", reason: ort.message.slice(0, 160) });
      else {
        cleanup.push(() => ort.release());
        await gate("onnxruntime-node", () => ort.run(inputs));
        const outs = [new Tensor(ref!.dtype, ref!.shape)];
        await gate(`onnxruntime-node${REUSED}`, () => ort.run(inputs, outs));
      }
      torchJobs.push({ c, ref: ref!, tc: { name: c.name, expr: c.torch, inputs: torchInputs ?? inputs } });
    }
    // The case's limit is probed in the same rotation as its systems (see limitProbe).
    const readings: number[] = [];
    const probe = timed.length ? await limitProbe(c.bound, readings) : undefined;
    try {
      const ms = await timeInterleaved([...timed.map((t) => t.run), ...(probe ? [probe] : [])], { minTimeMs, blockWarmupMs: 40 });
      const limit = readings.length ? summarize(readings).median : undefined;
      if (limit) caseLimit.set(c.name, limit);
      timed.forEach((t, k) => results.push({ case: c.name, system: t.system, status: "ok", ms: ms[k]!, flops: c.flops, bytes: c.bytes }));
    } catch (e) {
      for (const t of timed) fail(t.system, e);
    }
    for (const f of cleanup) await f();
  }

  if (torchJobs.length) {
    const why = torchUnavailable();
    if (why) {
      log(`torch: skipped (${why})`);
      notes.push(`PyTorch CPU not run: ${why}.`);
    } else {
      log(`torch: running ${torchJobs.length} cases`);
      const { version, blas, results: tr } = runTorchCases(torchJobs.map((j) => j.tc), os.cpus().length, minTimeMs / 1000);
      notes.push(`PyTorch ${version} on CPU, ${os.cpus().length} threads, BLAS_INFO=${blas}${blas === "generic" ? " (Debian's build uses the reference BLAS, so its matmuls are far slower than a PyPI wheel's; it is the PyTorch this machine's registries offer)" : ""}.`);
      tr.forEach((r, i) => {
        const { c, ref } = torchJobs[i]!;
        if (!r.ok) return results.push({ case: c.name, system: "torch cpu", status: "error", reason: r.error });
        const gate = compareTensors(r.output!, ref.dtype === "f32" ? ref : ref.cast("f32"));
        if (!gate.ok) return results.push({ case: c.name, system: "torch cpu", status: "wrong", reason: gate.mismatches[0] });
        results.push({ case: c.name, system: "torch cpu", status: "ok", ms: r.ms, flops: c.flops, bytes: c.bytes });
      });
    }
  }

  // The limits are measured again at the end and the higher reading of each is used: the machine
  // can do at least that, so no case is flattered by a limit measured in a slow spell.
  const last = await measureLimits();
  const limits = { gflops: Math.max(first.gflops ?? 0, last.gflops ?? 0) || undefined, gbs: Math.max(first.gbs ?? 0, last.gbs ?? 0) || undefined };
  for (const r of results) {
    const c = byCase.get(r.case)!;
    if (r.status !== "ok" || !r.ms) continue;
    // Systems timed in the rotation use the case's own limit; PyTorch (run afterwards, in its own
    // process) the run-wide one.
    const own = r.system === "torch cpu" ? undefined : caseLimit.get(c.name);
    const lim = own ?? (c.bound === "compute" ? limits.gflops : limits.gbs);
    if (lim) r.ofLimit = (c.bound === "compute" ? c.flops : c.bytes) / r.ms.median / 1e6 / lim;
    if (own) r.extra = { ...r.extra, limit: `${own.toPrecision(3)} ${c.bound === "compute" ? "GFLOP/s" : "GB/s"}` };
  }
  const order = (s: string) => (s.startsWith("max-whisper") ? 0 : s.startsWith("onnxruntime-node") ? 1 : 2);
  results.sort((a, b) => cases.findIndex((c) => c.name === a.case) - cases.findIndex((c) => c.name === b.case) || order(a.system) - order(b.system));
  notes.push(
    "Every result was checked against the reference interpreter (float64) before timing; 'wrong' rows were not timed.",
    `Rows marked '${REUSED.slice(2)}' write into one output tensor kept from run to run (executeInto; onnxruntime's preallocated fetches): the kernel without the cost of faulting in fresh memory. The other rows allocate a new result every run, as a one-off call does.`,
    "'of limit' is GFLOP/s over the measured FMA peak for compute-bound cases, GB/s over the measured triad bandwidth for memory-bound ones. The limit of each case (details column) is the median reading of short probes run in alternation with that case's systems (each after 40 untimed milliseconds of the same work), so the machine's fast and slow spells reach both alike and both are read by their median; PyTorch rows, timed afterwards in their own process, use the run-wide limits in the header (the higher of two measurements, at the start and at the end of the run).",
  );
  const base = writeReport({
    suite: "ops", title: "Op microbenchmarks at Whisper shapes", machine,
    limits: { "FMA peak GFLOP/s": limits.gflops ?? NaN, "triad GB/s": limits.gbs ?? NaN }, results, notes,
  }, flags.out!);
  log(`wrote ${base}.{json,md,svg}`);
}

await main();
