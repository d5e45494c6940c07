// Dynamic time warping and the median filter of openai-whisper's timing.py, on plain arrays.
// The DTW cost matrix is float32, as in timing.py's numba dtw_cpu, so ties and rounding follow it.

/**
 * Median over a sliding window of odd `width` along the last axis of a [rows, n] matrix,
 * with reflect padding (F.pad mode "reflect"); rows no longer than width / 2 pass unchanged.
 */
export function medianFilter(x: Float32Array, rows: number, n: number, width: number): Float32Array {
  if (!(Number.isInteger(width) && width > 0 && width % 2 === 1))
    throw new RangeError(`[medianFilter] width: expected a positive odd integer, got ${width}`);
  if (x.length !== rows * n) throw new RangeError(`[medianFilter] x: expected ${rows}×${n} = ${rows * n} values, got ${x.length}`);
  const pad = (width - 1) / 2;
  if (n <= pad) return x.slice();
  const out = new Float32Array(rows * n);
  const win = new Float32Array(width);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < width; k++) {
        let i = j - pad + k;
        if (i < 0) i = -i;
        else if (i >= n) i = 2 * (n - 1) - i;
        win[k] = x[base + i]!;
      }
      // torch sorts ascending with NaN last; Float32Array#sort does the same.
      win.sort();
      out[base + j] = win[pad]!;
    }
  }
  return out;
}

/**
 * DTW over an [n, m] cost matrix x (row-major): the monotonic path from (0, 0) to (n-1, m-1),
 * as [textIndices, timeIndices]. Step preference and tie-breaking follow timing.py.
 */
export function dtw(x: Float64Array | Float32Array, n: number, m: number): [number[], number[]] {
  if (x.length !== n * m) throw new RangeError(`[dtw] x: expected ${n}×${m} = ${n * m} values, got ${x.length}`);
  const W = m + 1;
  const cost = new Float32Array((n + 1) * W).fill(Infinity);
  const trace = new Int8Array((n + 1) * W).fill(-1);
  cost[0] = 0;
  for (let j = 1; j <= m; j++) {
    for (let i = 1; i <= n; i++) {
      const c0 = cost[(i - 1) * W + j - 1]!, c1 = cost[(i - 1) * W + j]!, c2 = cost[i * W + j - 1]!;
      let c: number, t: number;
      if (c0 < c1 && c0 < c2) { c = c0; t = 0; }
      else if (c1 < c0 && c1 < c2) { c = c1; t = 1; }
      else { c = c2; t = 2; }
      cost[i * W + j] = x[(i - 1) * m + j - 1]! + c;
      trace[i * W + j] = t;
    }
  }
  // backtrace
  for (let j = 0; j <= m; j++) trace[j] = 2;
  for (let i = 0; i <= n; i++) trace[i * W] = 1;
  let i = n, j = m;
  const ti: number[] = [], tj: number[] = [];
  while (i > 0 || j > 0) {
    ti.push(i - 1);
    tj.push(j - 1);
    const t = trace[i * W + j];
    if (t === 0) { i--; j--; }
    else if (t === 1) i--;
    else if (t === 2) j--;
    else throw new Error(`[dtw] unexpected trace value ${t} at (${i}, ${j})`);
  }
  return [ti.reverse(), tj.reverse()];
}
