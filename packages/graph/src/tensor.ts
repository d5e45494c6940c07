// Host tensors: typed storage with a concrete shape. f16/bf16 are kept as 16-bit words and
// converted exactly (round to nearest even). Backends read `data` directly, without copies.

import {
  type DType, type Storage, allocStorage, readElement, writeElement, isDType, DTYPE_BYTES,
} from "./dtype.js";
import { TensorType } from "./tensor-type.js";

export type NestedNumbers = number | boolean | NestedNumbers[];

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`[Tensor] bad dim ${d} in shape [${shape.join(", ")}]`);
}

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Storage;

  constructor(dtype: DType, shape: readonly number[], data?: Storage) {
    if (!isDType(dtype)) throw new TypeError(`[Tensor] unknown dtype '${String(dtype)}'`);
    checkShape(shape);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    const n = product(shape);
    if (data) {
      const want = allocStorage(dtype, 0).constructor;
      if (data.constructor !== want)
        throw new TypeError(`[Tensor] ${dtype} needs ${want.name} storage, got ${data.constructor.name}`);
      if (data.length !== n)
        throw new TypeError(`[Tensor] shape [${shape.join(", ")}] needs ${n} elements, got ${data.length}`);
      this.data = data;
    } else this.data = allocStorage(dtype, n);
  }

  /**
   * Build a tensor from numbers (or nested arrays), converting to the dtype.
   * Storage of the matching array type is adopted without copying.
   */
  static fromArray(dtype: DType, shape: readonly number[], values: ArrayLike<number> | ArrayLike<bigint> | NestedNumbers[]): Tensor {
    checkShape(shape);
    if (allocStorage(dtype, 0).constructor === (values as object).constructor) return new Tensor(dtype, shape, values as Storage);
    const flat: ArrayLike<number | bigint | boolean> = Array.isArray(values) ? (values as NestedNumbers[]).flat(Infinity as 1) as (number | boolean)[] : values;
    const n = product(shape);
    if (flat.length !== n)
      throw new TypeError(`[Tensor.fromArray] shape [${shape.join(", ")}] needs ${n} values, got ${flat.length}`);
    const t = new Tensor(dtype, shape);
    for (let i = 0; i < n; i++) writeElement(dtype, t.data, i, Number(flat[i]));
    return t;
  }

  static zeros(dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(dtype, shape);
  }

  static scalar(dtype: DType, v: number): Tensor {
    return Tensor.fromArray(dtype, [], [v]);
  }

  /** A tensor whose values come from float64 numbers, rounded to the dtype. */
  static fromFloat64(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const t = new Tensor(dtype, shape);
    if (dtype === "f32") (t.data as Float32Array).set(values);
    else for (let i = 0; i < values.length; i++) writeElement(dtype, t.data, i, values[i]!);
    return t;
  }

  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }
  get byteLength(): number {
    return this.data.length * DTYPE_BYTES[this.dtype];
  }
  get type(): TensorType {
    return new TensorType(this.dtype, this.shape);
  }

  get(...index: number[]): number {
    let flat = 0;
    for (let i = 0; i < this.shape.length; i++) flat = flat * this.shape[i]! + index[i]!;
    return readElement(this.dtype, this.data, flat);
  }

  toFloat32Array(): Float32Array {
    if (this.dtype === "f32") return this.data as Float32Array;
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = readElement(this.dtype, this.data, i);
    return out;
  }

  toFloat64Array(): Float64Array {
    const out = new Float64Array(this.size);
    // f32 widens exactly; set() converts natively (the interpreter reads every input this way).
    if (this.dtype === "f32") out.set(this.data as Float32Array);
    else for (let i = 0; i < out.length; i++) out[i] = readElement(this.dtype, this.data, i);
    return out;
  }

  /** Values as plain numbers (flat). */
  toArray(): number[] {
    return Array.from(this.toFloat64Array());
  }

  /** Raw little-endian bytes (a view, not a copy). */
  bytes(): Uint8Array {
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  static fromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array): Tensor {
    const n = product(shape);
    const want = n * DTYPE_BYTES[dtype];
    if (bytes.byteLength !== want)
      throw new TypeError(`[Tensor.fromBytes] ${dtype}[${shape.join(", ")}] needs ${want} bytes, got ${bytes.byteLength}`);
    const store = allocStorage(dtype, n);
    new Uint8Array(store.buffer).set(bytes);
    return new Tensor(dtype, shape, store);
  }

  cast(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    const t = new Tensor(dtype, this.shape);
    for (let i = 0; i < this.size; i++) writeElement(dtype, t.data, i, readElement(this.dtype, this.data, i));
    return t;
  }

  reshape(shape: readonly number[]): Tensor {
    if (product(shape) !== this.size)
      throw new TypeError(`[Tensor.reshape] cannot view [${this.shape.join(", ")}] as [${shape.join(", ")}]`);
    return new Tensor(this.dtype, shape, this.data);
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(", ")}])`;
  }
}
