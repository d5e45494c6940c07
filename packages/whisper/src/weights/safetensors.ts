// safetensors files: a validating reader (whole file or only named tensors, read straight into
// each Tensor's storage) and a small writer. Knows nothing about Whisper.
// Layout: u64le header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, data.

import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { Tensor, type DType, storageOver } from "@max-whisper/graph";

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** safetensors dtype name -> our dtype. F64 is narrowed to f32 on load (Tensor has no f64). */
const FROM_ST: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: "f32", bytes: 4 }, F16: { dtype: "f16", bytes: 2 }, BF16: { dtype: "bf16", bytes: 2 },
  I32: { dtype: "i32", bytes: 4 }, I64: { dtype: "i64", bytes: 8 }, BOOL: { dtype: "bool", bytes: 1 },
  F64: { dtype: "f32", bytes: 8 },
};
const TO_ST: Record<DType, string> = { f32: "F32", f16: "F16", bf16: "BF16", i32: "I32", i64: "I64", bool: "BOOL" };
const KNOWN_UNSUPPORTED = new Set(["I8", "U8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2"]);

export interface TensorInfo {
  name: string;
  /** dtype as written in the file (F32, F16, ...). */
  fileDtype: string;
  dtype: DType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  dataStart: number;
  fileSize: number;
}

const MAX_HEADER = 100 * 1024 * 1024;

/** Read and validate the header of a safetensors file (no tensor data is read). */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SafetensorsError(`[safetensors] ${path}: ${code === "ENOENT" ? "file not found" : (e as Error).message}`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new SafetensorsError(`[safetensors] ${path}: truncated file: expected at least 8 bytes of header length, got ${fileSize}`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(Math.min(MAX_HEADER, fileSize - 8)))
      throw new SafetensorsError(`[safetensors] ${path}: header length out of range: header says ${n} bytes, file has ${fileSize - 8} after the length field`);
    const headerLen = Number(n);
    const hb = Buffer.alloc(headerLen);
    readSync(fd, hb, 0, headerLen, 8);
    return parseHeader(path, hb, 8 + headerLen, fileSize);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, hb: Uint8Array, dataStart: number, fileSize: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(hb.buffer, hb.byteOffset, hb.byteLength).toString("utf8"));
  } catch (e) {
    throw new SafetensorsError(`[safetensors] ${path}: header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new SafetensorsError(`[safetensors] ${path}: header must be a JSON object`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const dataSize = fileSize - dataStart;
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") { metadata = (raw ?? {}) as Record<string, string>; continue; }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `${path}: tensor '${name}'`;
    if (typeof e !== "object" || e === null) throw new SafetensorsError(`[safetensors] ${where}: entry must be an object`);
    const fileDtype = String(e.dtype);
    const spec = FROM_ST[fileDtype];
    if (!spec)
      throw new SafetensorsError(`[safetensors] ${where}: ${KNOWN_UNSUPPORTED.has(fileDtype) ? "unsupported" : "unknown"} dtype ${fileDtype}: expected one of ${Object.keys(FROM_ST).join(", ")}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(`[safetensors] ${where}: shape must be a list of non-negative integers, got ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0])
      throw new SafetensorsError(`[safetensors] ${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    const shape = e.shape as number[];
    const want = shape.reduce((a, b) => a * b, 1) * spec.bytes;
    const [b, en] = off as [number, number];
    if (en - b !== want)
      throw new SafetensorsError(`[safetensors] ${where}: wrong data size: ${fileDtype}[${shape.join(", ")}] needs ${want} bytes, data_offsets give ${en - b}`);
    if (en > dataSize)
      throw new SafetensorsError(`[safetensors] ${where}: truncated file: data ends at byte ${en} of the data section, which holds only ${dataSize}`);
    tensors.set(name, { name, fileDtype, dtype: spec.dtype, shape, begin: dataStart + b, end: dataStart + en });
  }
  // The format requires the tensors to tile the data section exactly: no overlaps, no holes.
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  let prev: TensorInfo | undefined;
  for (const t of sorted) {
    if (t.begin < at)
      throw new SafetensorsError(`[safetensors] ${path}: tensor '${t.name}' overlaps tensor '${prev!.name}' (bytes ${t.begin - dataStart}..${t.end - dataStart} vs ..${at - dataStart})`);
    if (t.begin > at)
      throw new SafetensorsError(`[safetensors] ${path}: ${t.begin - at} bytes of data before tensor '${t.name}' belong to no tensor`);
    at = t.end;
    prev = t;
  }
  if (at !== fileSize)
    throw new SafetensorsError(`[safetensors] ${path}: ${fileSize - at} bytes after the last tensor belong to no tensor`);
  return { path, tensors, metadata, dataStart, fileSize };
}

function f64ToF32(bytes: Uint8Array): Float32Array {
  const src = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Float32Array.from(src);
}

/** Build a Tensor from its bytes, viewing them without a copy when aligned. */
function tensorFromBytes(info: TensorInfo, bytes: Uint8Array): Tensor {
  if (info.fileDtype === "F64") return new Tensor("f32", info.shape, f64ToF32(bytes));
  const width = FROM_ST[info.fileDtype]!.bytes;
  const n = bytes.byteLength / width;
  if (bytes.byteOffset % width === 0) {
    return new Tensor(info.dtype, info.shape, storageOver(info.dtype, bytes.buffer, bytes.byteOffset, n));
  }
  return Tensor.fromBytes(info.dtype, info.shape, bytes);
}

/**
 * Read tensors from a safetensors file: all of them, or only `names` (a missing name throws).
 * Each tensor is read straight into its own storage; f16/bf16 stay 16-bit.
 */
export function readSafetensors(path: string, names?: Iterable<string>): Map<string, Tensor> {
  const header = readSafetensorsHeader(path);
  const want = names ? [...names] : [...header.tensors.keys()];
  const out = new Map<string, Tensor>();
  const fd = openSync(path, "r");
  try {
    for (const name of want) {
      const info = header.tensors.get(name);
      if (!info) throw new SafetensorsError(`[safetensors] ${path}: tensor '${name}' is missing`);
      // An 8-byte aligned buffer per tensor, filled by the read itself: no second copy.
      const bytes = new Uint8Array(new ArrayBuffer(info.end - info.begin));
      let done = 0;
      while (done < bytes.length) {
        const got = readSync(fd, bytes, done, bytes.length - done, info.begin + done);
        if (got === 0) throw new SafetensorsError(`[safetensors] ${path}: tensor '${name}': file ended early (truncated while reading)`);
        done += got;
      }
      out.set(name, tensorFromBytes(info, bytes));
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Parse a safetensors file held in memory; tensors view `bytes` without copying when aligned. */
export function decodeSafetensors(bytes: Uint8Array, name = "<buffer>"): Map<string, Tensor> {
  if (bytes.byteLength < 8) throw new SafetensorsError(`[safetensors] ${name}: truncated file: expected at least 8 bytes of header length, got ${bytes.byteLength}`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.byteLength - 8)))
    throw new SafetensorsError(`[safetensors] ${name}: header length out of range: header says ${n} bytes, file has ${bytes.byteLength - 8} after the length field`);
  const header = parseHeader(name, bytes.subarray(8, 8 + Number(n)), 8 + Number(n), bytes.byteLength);
  const out = new Map<string, Tensor>();
  for (const [k, info] of header.tensors) out.set(k, tensorFromBytes(info, bytes.subarray(info.begin, info.end)));
  return out;
}

function layout(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): { header: Buffer; entries: [string, Tensor][]; dataSize: number } {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const h: Record<string, unknown> = {};
  if (metadata) h.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of entries) {
    h[name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [off, off + t.byteLength] };
    off += t.byteLength;
  }
  let json = Buffer.from(JSON.stringify(h), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const header = Buffer.alloc(8 + json.length);
  header.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(header, 8);
  return { header, entries, dataSize: off };
}

/** Serialise tensors (sorted by name, header padded with spaces to 8 bytes, as the spec does). */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const { header, entries, dataSize } = layout(tensors, metadata);
  const out = new Uint8Array(header.length + dataSize);
  out.set(header, 0);
  let at = header.length;
  for (const [, t] of entries) { out.set(t.bytes(), at); at += t.byteLength; }
  return out;
}

/**
 * Write a safetensors file, tensor by tensor (no whole-file buffer), to a temporary name that is
 * renamed into place only when complete.
 */
export function writeSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  const { header, entries } = layout(tensors, metadata);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeAll(fd, header);
      for (const [, t] of entries) writeAll(fd, t.bytes());
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let done = 0; done < b.byteLength;) done += writeSync(fd, b, done, b.byteLength - done);
}
