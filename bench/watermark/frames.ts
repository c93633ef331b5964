/**
 * Deterministic test frames and pixel-level attacks for the watermark tests and bench (8-bit
 * luma planes). Synthetic frames mix smooth shading, edges and 1/f-like texture so they behave
 * like camera content under the texture-weighted embedder.
 */
export interface Plane {
  y: Uint8Array;
  w: number;
  h: number;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** A synthetic natural-looking frame: octaves of smoothed noise, a gradient and a few discs. */
export function syntheticFrame(w: number, h: number, seed: number): Plane {
  const r = rng(seed * 7919 + 1);
  const acc = new Float32Array(w * h);
  for (let oct = 0; oct < 5; oct++) {
    const cell = 64 >> oct;
    const gw = Math.ceil(w / cell) + 2,
      gh = Math.ceil(h / cell) + 2;
    const g = new Float32Array(gw * gh);
    for (let i = 0; i < g.length; i++) g[i] = gaussian(r);
    const amp = 48 / 2 ** oct; // 1/f amplitude spectrum, like camera content
    for (let y = 0; y < h; y++) {
      const fy = y / cell,
        iy = Math.floor(fy),
        ty = fy - iy;
      for (let x = 0; x < w; x++) {
        const fx = x / cell,
          ix = Math.floor(fx),
          tx = fx - ix;
        const v =
          (1 - ty) * ((1 - tx) * g[iy * gw + ix] + tx * g[iy * gw + ix + 1]) +
          ty * ((1 - tx) * g[(iy + 1) * gw + ix] + tx * g[(iy + 1) * gw + ix + 1]);
        acc[y * w + x] += amp * v;
      }
    }
  }
  const discs = Array.from({ length: 6 }, () => ({
    x: r() * w,
    y: r() * h,
    rad: 10 + r() * Math.min(w, h) * 0.2,
    v: (r() - 0.5) * 120,
  }));
  const gx = (r() - 0.5) * 0.3,
    gy = (r() - 0.5) * 0.3;
  const y8 = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 128 + acc[y * w + x] + gx * (x - w / 2) + gy * (y - h / 2);
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.rad * d.rad) v += d.v;
      y8[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  return { y: y8, w, h };
}

export function crop(p: Plane, x0: number, y0: number, w: number, h: number): Plane {
  const y = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) y.set(p.y.subarray((r + y0) * p.w + x0, (r + y0) * p.w + x0 + w), r * w);
  return { y, w, h };
}

export function flipH(p: Plane): Plane {
  const y = new Uint8Array(p.w * p.h);
  for (let r = 0; r < p.h; r++) for (let x = 0; x < p.w; x++) y[r * p.w + x] = p.y[r * p.w + p.w - 1 - x];
  return { y, w: p.w, h: p.h };
}

function sample(p: Plane, x: number, y: number): number {
  if (x < 0 || y < 0 || x > p.w - 1 || y > p.h - 1) return 0;
  const ix = Math.min(p.w - 2, Math.floor(x)),
    iy = Math.min(p.h - 2, Math.floor(y));
  const tx = x - ix,
    ty = y - iy;
  const i = iy * p.w + ix;
  return (
    (1 - ty) * ((1 - tx) * p.y[i] + tx * p.y[i + 1]) + ty * ((1 - tx) * p.y[i + p.w] + tx * p.y[i + p.w + 1])
  );
}

/** Downscale by area averaging (what a decent resizer does), no resize back. */
export function downscale(p: Plane, factor: number): Plane {
  const w = Math.max(1, Math.round(p.w * factor)),
    h = Math.max(1, Math.round(p.h * factor));
  const y = new Uint8Array(w * h);
  const sx = p.w / w,
    sy = p.h / h;
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const x0 = c * sx,
        x1 = x0 + sx,
        y0 = r * sy,
        y1 = y0 + sy;
      let acc = 0,
        wt = 0;
      for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++)
        for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
          const a = (Math.min(x1, xx + 1) - Math.max(x0, xx)) * (Math.min(y1, yy + 1) - Math.max(y0, yy));
          acc += a * p.y[Math.min(p.h - 1, yy) * p.w + Math.min(p.w - 1, xx)];
          wt += a;
        }
      y[r * w + c] = Math.round(acc / wt);
    }
  return { y, w, h };
}

/** Rotation about the centre, same canvas, corners filled black (like ffmpeg's rotate filter). */
export function rotate(p: Plane, deg: number): Plane {
  const t = (deg * Math.PI) / 180,
    c = Math.cos(t),
    s = Math.sin(t);
  const y = new Uint8Array(p.w * p.h);
  const cx = p.w / 2,
    cy = p.h / 2;
  for (let r = 0; r < p.h; r++)
    for (let x = 0; x < p.w; x++) {
      const dx = x - cx,
        dy = r - cy;
      y[r * p.w + x] = Math.round(sample(p, cx + c * dx + s * dy, cy - s * dx + c * dy));
    }
  return { y, w: p.w, h: p.h };
}

export function brightnessContrast(p: Plane, gain: number, offset: number): Plane {
  const y = new Uint8Array(p.y.length);
  for (let i = 0; i < y.length; i++)
    y[i] = Math.max(0, Math.min(255, Math.round((p.y[i] - 128) * gain + 128 + offset)));
  return { y, w: p.w, h: p.h };
}

export function addNoise(p: Plane, sigma: number, seed: number): Plane {
  const r = rng(seed);
  const y = new Uint8Array(p.y.length);
  for (let i = 0; i < y.length; i++)
    y[i] = Math.max(0, Math.min(255, Math.round(p.y[i] + sigma * gaussian(r))));
  return { y, w: p.w, h: p.h };
}

/** Gaussian blur, sigma 1 ("mild blur"). */
export function blur(p: Plane, sigma = 1): Plane {
  const rad = Math.ceil(sigma * 3);
  const k: number[] = [];
  for (let i = -rad; i <= rad; i++) k.push(Math.exp((-i * i) / (2 * sigma * sigma)));
  const tmp = new Float32Array(p.y.length);
  const out = new Uint8Array(p.y.length);
  for (let r = 0; r < p.h; r++)
    for (let x = 0; x < p.w; x++) {
      let a = 0,
        ws = 0;
      for (let i = -rad; i <= rad; i++) {
        const xx = x + i;
        if (xx >= 0 && xx < p.w) {
          a += k[i + rad] * p.y[r * p.w + xx];
          ws += k[i + rad];
        }
      }
      tmp[r * p.w + x] = a / ws;
    }
  for (let r = 0; r < p.h; r++)
    for (let x = 0; x < p.w; x++) {
      let a = 0,
        ws = 0;
      for (let i = -rad; i <= rad; i++) {
        const yy = r + i;
        if (yy >= 0 && yy < p.h) {
          a += k[i + rad] * tmp[yy * p.w + x];
          ws += k[i + rad];
        }
      }
      out[r * p.w + x] = Math.round(a / ws);
    }
  return { y: out, w: p.w, h: p.h };
}
