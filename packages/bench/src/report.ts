// Report writers: JSON results, a Markdown table and an SVG chart per suite, written to
// docs/benchmarks/ with the date and machine in the file name.

import { mkdirSync, writeFileSync, renameSync } from "node:fs";
import path from "node:path";
import type { MachineInfo } from "./machine.js";
import { machineTag } from "./machine.js";
import type { Summary } from "./stats.js";
import { barChart } from "./svg.js";

export type Status = "ok" | "wrong" | "skipped" | "error";

export interface CaseResult {
  /** What was measured, e.g. "matmul 1500x384·384x1536". */
  case: string;
  /** Who ran it, e.g. "max-whisper cpu", "onnxruntime-node", "torch cpu". */
  system: string;
  status: Status;
  /** Why a case was skipped, wrong or failed. */
  reason?: string;
  ms?: Summary;
  /** Work per run, for throughput columns. */
  flops?: number;
  bytes?: number;
  /** Fraction of the machine's measured limit (FMA peak or bandwidth) reached. */
  ofLimit?: number;
  extra?: Record<string, number | string>;
}

export interface Report {
  suite: string;
  title: string;
  machine: MachineInfo;
  limits?: Record<string, number>;
  results: CaseResult[];
  notes?: string[];
}

function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(1) : x.toPrecision(digits);
}

export function toMarkdown(r: Report): string {
  const m = r.machine;
  const lines = [
    `# ${r.title}`,
    "",
    `${m.date} · ${m.cpu} · ${m.cores} cores · ${m.isa.join(", ") || "baseline ISA"} · ${m.memGiB} GiB · node ${m.node} · commit ${m.commit}`,
    "",
  ];
  if (r.limits && Object.keys(r.limits).length)
    lines.push("Measured limits: " + Object.entries(r.limits).map(([k, v]) => `${k} ${fmt(v)}`).join(" · "), "");
  const withExtra = r.results.some((c) => c.extra && Object.keys(c.extra).length);
  lines.push(
    `| case | system | median ms | p10–p90 ms | GFLOP/s | GB/s | of limit | status |${withExtra ? " details |" : ""}`,
    `|---|---|---:|---:|---:|---:|---:|---|${withExtra ? "---|" : ""}`,
  );
  for (const c of r.results) {
    const med = c.ms?.median;
    const gflops = c.flops && med ? c.flops / med / 1e6 : undefined;
    const gbs = c.bytes && med ? c.bytes / med / 1e6 : undefined;
    const status = c.status === "ok" ? "ok" : `${c.status}${c.reason ? `: ${c.reason}` : ""}`;
    const details = Object.entries(c.extra ?? {}).map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`).join(", ");
    lines.push(
      `| ${c.case} | ${c.system} | ${fmt(med)} | ${c.ms ? `${fmt(c.ms.p10)}–${fmt(c.ms.p90)}` : "–"} | ${fmt(gflops)} | ${fmt(gbs)} | ${c.ofLimit !== undefined ? `${(c.ofLimit * 100).toFixed(0)}%` : "–"} | ${status.replace(/\|/g, "/")} |${withExtra ? ` ${details} |` : ""}`,
    );
  }
  if (r.notes?.length) lines.push("", ...r.notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}

export function toSvg(r: Report): string {
  const bars = r.results.filter((c) => c.status === "ok" && c.ms).map((c) => ({ group: c.case, label: c.system, value: c.ms!.median }));
  return barChart(`${r.title} (median ms, lower is better)`, "ms", bars);
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Write <suite>-<date>-<machine>.{json,md,svg} and <suite>-latest.md into dir; returns the base path. */
export function writeReport(r: Report, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${r.suite}-${r.machine.date}-${machineTag(r.machine)}`);
  writeAtomic(`${base}.json`, JSON.stringify(r, null, 2) + "\n");
  const md = toMarkdown(r).replace(/\n$/, `\n\n![chart](${path.basename(base)}.svg)\n`);
  writeAtomic(`${base}.md`, md);
  writeAtomic(`${base}.svg`, toSvg(r));
  writeAtomic(path.join(dir, `${r.suite}-latest.md`), md);
  return base;
}
