// TensorType: the static type of a graph value (dtype + shape of numbers or symbolic dims).

import { type DType, isDType } from "./dtype.js";
import { type Dim, dim, dimEq, shapeToString } from "./dim.js";

export class TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  constructor(dtype: DType, shape: readonly Dim[]) {
    if (!isDType(dtype)) throw new TypeError(`unknown dtype '${String(dtype)}'`);
    for (const d of shape)
      if (typeof d === "number" ? !(Number.isInteger(d) && d >= 0) : typeof d !== "string")
        throw new TypeError(`bad dim ${String(d)} in shape ${shapeToString(shape)}`);
    this.dtype = dtype;
    this.shape = Object.freeze(shape.map(dim));
  }
  get rank(): number {
    return this.shape.length;
  }
  equals(o: TensorType): boolean {
    return o.dtype === this.dtype && o.rank === this.rank && this.shape.every((d, i) => dimEq(d, o.shape[i]!));
  }
  toString(): string {
    return `${this.dtype}${shapeToString(this.shape)}`;
  }
  withShape(shape: readonly Dim[]): TensorType {
    return new TensorType(this.dtype, shape);
  }
  withDType(dtype: DType): TensorType {
    return new TensorType(dtype, this.shape);
  }
}
