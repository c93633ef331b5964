/** Box mean of a w x h float image with a (2r+1)^2 window, edges handled by shrinking the window. */
export function boxMean(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    let lo = 0,
      hi = -1;
    for (let x = 0; x < w; x++) {
      const want = Math.min(w - 1, x + r);
      while (hi < want) acc += src[row + ++hi];
      while (lo < x - r) acc -= src[row + lo++];
      tmp[row + x] = acc / (hi - lo + 1);
    }
  }
  const col = new Float64Array(w);
  // Vertical pass as a running column sum over rows.
  let lo = 0,
    hi = -1;
  for (let y = 0; y < h; y++) {
    const want = Math.min(h - 1, y + r);
    while (hi < want) {
      hi++;
      const row = hi * w;
      for (let x = 0; x < w; x++) col[x] += tmp[row + x];
    }
    while (lo < y - r) {
      const row = lo * w;
      for (let x = 0; x < w; x++) col[x] -= tmp[row + x];
      lo++;
    }
    const n = hi - lo + 1;
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = col[x] / n;
  }
  return out;
}
