// Kernel arguments packed the way cuLaunchKernel (and the host harness) take them: one byte
// buffer holding each value at an 8-byte aligned offset, plus the offsets.

export type ArgKind = "ptr" | "i64" | "i32" | "f32";

export class KernelArgs {
  private buf = new ArrayBuffer(256);
  private view = new DataView(this.buf);
  private offsets: number[] = [];
  private end = 0;

  private slot(): number {
    const at = this.end;
    this.end += 8;
    if (this.end > this.buf.byteLength) {
      const next = new ArrayBuffer(this.buf.byteLength * 2);
      new Uint8Array(next).set(new Uint8Array(this.buf));
      this.buf = next;
      this.view = new DataView(next);
    }
    this.offsets.push(at);
    return at;
  }
  ptr(p: bigint): this {
    this.view.setBigUint64(this.slot(), p, true);
    return this;
  }
  i64(v: number | bigint): this {
    this.view.setBigInt64(this.slot(), typeof v === "bigint" ? v : BigInt(v), true);
    return this;
  }
  i32(v: number): this {
    this.view.setInt32(this.slot(), v, true);
    return this;
  }
  f32(v: number): this {
    this.view.setFloat32(this.slot(), v, true);
    return this;
  }
  add(kind: ArgKind, v: number | bigint): this {
    switch (kind) {
      case "ptr": return this.ptr(BigInt(v));
      case "i64": return this.i64(v);
      case "i32": return this.i32(Number(v));
      case "f32": return this.f32(Number(v));
    }
  }
  get count(): number {
    return this.offsets.length;
  }
  /** The packed bytes and offsets (views of fresh copies, safe to keep). */
  pack(): { bytes: Uint8Array; offsets: Uint32Array } {
    return { bytes: new Uint8Array(this.buf.slice(0, Math.max(this.end, 8))), offsets: Uint32Array.from(this.offsets) };
  }
}
