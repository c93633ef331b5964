/** Image quality measures that prove the mark is invisible (the still embedder, bench and tests). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

function gaussBlur(src: Float32Array, w: number, h: number): Float32Array {
  const k = [0.00102, 0.00759, 0.036, 0.10936, 0.21301, 0.26601, 0.21301, 0.10936, 0.036, 0.00759, 0.00102];
  const tmp = new Float32Array(w * h),
    out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let a = 0,
        ws = 0;
      for (let i = -5; i <= 5; i++) {
        const xx = x + i;
        if (xx < 0 || xx >= w) continue;
        a += k[i + 5] * src[y * w + xx];
        ws += k[i + 5];
      }
      tmp[y * w + x] = a / ws;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let a = 0,
        ws = 0;
      for (let i = -5; i <= 5; i++) {
        const yy = y + i;
        if (yy < 0 || yy >= h) continue;
        a += k[i + 5] * tmp[yy * w + x];
        ws += k[i + 5];
      }
      out[y * w + x] = a / ws;
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
