/** Image quality measures that prove the mark is invisible (the still embedder, bench and tests). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

const KERNEL = Float32Array.from([
  0.00102, 0.00759, 0.036, 0.10936, 0.21301, 0.26601, 0.21301, 0.10936, 0.036, 0.00759, 0.00102,
]);
const KSUM = KERNEL.reduce((a, b) => a + b, 0);
const R = 5;

/** The window's weights that fall inside [0, n) around position x (edges renormalise the kernel). */
function weightsAt(x: number, n: number): { k: Float32Array; lo: number } {
  const lo = Math.max(-R, -x),
    hi = Math.min(R, n - 1 - x);
  const k = KERNEL.slice(lo + R, hi + R + 1);
  const ws = k.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k.length; i++) k[i] /= ws;
  return { k, lo };
}

/** Separable gaussian window; both passes walk rows so memory is read in order. */
function gaussBlur(src: Float32Array, w: number, h: number): Float32Array {
  const tmp = new Float32Array(w * h),
    out = new Float32Array(w * h);
  const k0 = KERNEL[0] / KSUM,
    k1 = KERNEL[1] / KSUM,
    k2 = KERNEL[2] / KSUM,
    k3 = KERNEL[3] / KSUM,
    k4 = KERNEL[4] / KSUM,
    k5 = KERNEL[5] / KSUM;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const o = row + x;
      if (x >= R && x < w - R) {
        tmp[o] =
          k0 * (src[o - 5] + src[o + 5]) +
          k1 * (src[o - 4] + src[o + 4]) +
          k2 * (src[o - 3] + src[o + 3]) +
          k3 * (src[o - 2] + src[o + 2]) +
          k4 * (src[o - 1] + src[o + 1]) +
          k5 * src[o];
        continue;
      }
      const { k, lo } = weightsAt(x, w);
      let a = 0;
      for (let i = 0; i < k.length; i++) a += k[i] * src[o + lo + i];
      tmp[o] = a;
    }
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (y >= R && y < h - R) {
      for (let o = row, end = row + w; o < end; o++)
        out[o] =
          k0 * (tmp[o - 5 * w] + tmp[o + 5 * w]) +
          k1 * (tmp[o - 4 * w] + tmp[o + 4 * w]) +
          k2 * (tmp[o - 3 * w] + tmp[o + 3 * w]) +
          k3 * (tmp[o - 2 * w] + tmp[o + 2 * w]) +
          k4 * (tmp[o - w] + tmp[o + w]) +
          k5 * tmp[o];
      continue;
    }
    const { k, lo } = weightsAt(y, h);
    for (let i = 0; i < k.length; i++) {
      const kk = k[i],
        srow = (y + lo + i) * w;
      for (let x = 0; x < w; x++) out[row + x] += kk * tmp[srow + x];
    }
  }
  return out;
}

/** Mean SSIM (Wang et al. 2004: 11x11 gaussian window, sigma 1.5, K1 0.01, K2 0.03). */
export function ssim(a: Uint8Array, b: Uint8Array, w: number, h: number): number {
  const n = w * h;
  const fa = new Float32Array(n),
    fb = new Float32Array(n),
    aa = new Float32Array(n),
    bb = new Float32Array(n),
    ab = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    fa[i] = a[i];
    fb[i] = b[i];
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  const ma = gaussBlur(fa, w, h),
    mb = gaussBlur(fb, w, h),
    saa = gaussBlur(aa, w, h),
    sbb = gaussBlur(bb, w, h),
    sab = gaussBlur(ab, w, h);
  const C1 = (0.01 * 255) ** 2,
    C2 = (0.03 * 255) ** 2;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const va = saa[i] - ma[i] * ma[i],
      vb = sbb[i] - mb[i] * mb[i],
      cov = sab[i] - ma[i] * mb[i];
    acc +=
      ((2 * ma[i] * mb[i] + C1) * (2 * cov + C2)) / ((ma[i] * ma[i] + mb[i] * mb[i] + C1) * (va + vb + C2));
  }
  return acc / n;
}
