// What a benchmark ran on: CPU model, cores, ISA flags, node and package versions, commit.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  isa: string[];
  memGiB: number;
  node: string;
  platform: string;
  commit: string;
  date: string;
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const flags = info.match(/^flags\s*:\s*(.*)$/m)?.[1]?.split(/\s+/) ?? [];
    return ["avx512f", "avx512bw", "avx512_bf16", "avx2", "fma", "f16c"].filter((f) => flags.includes(f));
  } catch {
    return [];
  }
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    isa: cpuFlags(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
    commit: gitCommit(),
    date: new Date().toISOString().slice(0, 10),
  };
}

/** A short file-name-safe machine tag, e.g. "amd-epyc-2c". */
export function machineTag(m: MachineInfo): string {
  const name = m.cpu.toLowerCase().replace(/\(r\)|\(tm\)|processor|cpu|@.*$/g, "").trim().split(/\s+/).slice(0, 3).join("-");
  return `${name.replace(/[^a-z0-9-]/g, "") || "cpu"}-${m.cores}c`;
}
