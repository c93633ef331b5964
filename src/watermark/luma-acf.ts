import { fft2, nextPow2 } from '../media/fft';
import { CHIP, SMALL_CHIP, TILE } from './luma-tile';

/**
 * The picture detector's geometry estimate: the tile repeats over the frame, so the residual's
 * autocorrelation has peaks on the tile lattice, whose vectors give scale and rotation.
 */

export interface Lattice {
  vx: number;
  vy: number;
}

// Range of the searched lattice vector: scale 0.38..1.15, rotation within +-7 degrees.
const S_MIN = 0.38 * (SMALL_CHIP / CHIP),
  S_MAX = 1.15,
  ROT_MAX = (7 * Math.PI) / 180;

/**
 * Whitened autocorrelation of the central (<= 512^2) part of the residual. Frames wider or taller
 * than 512 are first averaged 2x2: the tile's lattice survives that even at the smallest searched
 * scale (chips of 2.3 px still sit below the halved Nyquist), and the transform costs a fifth.
 */
export function autocorr(r: Float32Array, w: number, h: number): Acf {
  const f = Math.max(w, h) > 512 ? 2 : 1;
  const dw = Math.floor(w / f),
    dh = Math.floor(h / f);
  const nw = Math.min(512, nextPow2(dw)),
    nh = Math.min(512, nextPow2(dh));
  const cw = Math.min(dw, nw),
    ch = Math.min(dh, nh);
  const x0 = (dw - cw) >> 1,
    y0 = (dh - ch) >> 1;
  const re = new Float64Array(nw * nh),
    im = new Float64Array(nw * nh);
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      if (f === 1) re[y * nw + x] = r[(y + y0) * w + x + x0];
      else {
        const i = 2 * (y + y0) * w + 2 * (x + x0);
        re[y * nw + x] = r[i] + r[i + 1] + r[i + w] + r[i + w + 1];
      }
    }
  fft2(re, im, nw, nh);
  for (let i = 0; i < re.length; i++) {
    re[i] = Math.sqrt(re[i] * re[i] + im[i] * im[i]);
    im[i] = 0;
  }
  fft2(re, im, nw, nh, true);
  return { v: re, nw, nh, limitX: cw / 2, limitY: ch / 2, factor: f };
}

export interface Acf {
  v: Float64Array;
  nw: number;
  nh: number;
  /** largest horizontal / vertical lags that still overlap enough signal */
  limitX: number;
  limitY: number;
  /** pixels of the frame per ACF lag (2 when the residual was averaged 2x2) */
  factor: number;
}

function acfAt(a: Acf, x: number, y: number): number {
  return a.v[(((y % a.nh) + a.nh) % a.nh) * a.nw + (((x % a.nw) + a.nw) % a.nw)];
}

/** Sub-pixel peak near (x, y) within +-1. */
function refinePeak(acf: Acf, x: number, y: number): { x: number; y: number; v: number } {
  let bx = Math.round(x),
    by = Math.round(y),
    bv = -Infinity;
  const cx = bx,
    cy = by;
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const v = acfAt(acf, cx + dx, cy + dy);
      if (v > bv) {
        bv = v;
        bx = cx + dx;
        by = cy + dy;
      }
    }
  const l = acfAt(acf, bx - 1, by),
    r = acfAt(acf, bx + 1, by),
    u = acfAt(acf, bx, by - 1),
    d = acfAt(acf, bx, by + 1);
  const ox = (l - r) / (2 * (l - 2 * bv + r) || 1);
  const oy = (u - d) / (2 * (u - 2 * bv + d) || 1);
  return { x: bx + Math.max(-0.5, Math.min(0.5, ox)), y: by + Math.max(-0.5, Math.min(0.5, oy)), v: bv };
}

/** Least-squares lattice vector from the harmonics k*v and k*v_perp visible in the ACF. */
function refineLattice(acf: Acf, lat: Lattice): Lattice {
  let sx = 0,
    sy = 0,
    sk = 0;
  const len = Math.hypot(lat.vx, lat.vy);
  const kx = Math.max(1, Math.floor((acf.limitX - 3) / len));
  const ky = Math.floor((acf.limitY - 3) / len);
  let v = { ...lat };
  for (let k = 1; k <= Math.max(kx, ky); k++) {
    if (k <= kx) {
      const p = refinePeak(acf, k * v.vx, k * v.vy);
      sx += k * p.x;
      sy += k * p.y;
      sk += k * k;
    }
    if (k <= ky) {
      // k * v rotated by +90 degrees: rotate the measured peak back.
      const q = refinePeak(acf, -k * v.vy, k * v.vx);
      sx += k * q.y;
      sy -= k * q.x;
      sk += k * k;
    }
    v = { vx: sx / sk, vy: sy / sk };
  }
  return v;
}

/**
 * The longest lag searched, as a share of the analysed width: a little past half of it. A clip
 * whose frames hold two tiles across (512x512 with 8 px chips) holds two at any scale, so its
 * lattice vector is half the frame wide. Until stop 35 the search stopped at width / 2.1, and such
 * a clip downscaled to anything but the fixed scales was never found (talking-a at 45 %, 40 % and
 * 35 % of its width, sync z 9.4-11.2 at the true geometry). Lags past half the transform's size
 * would only read the same values again, mirrored.
 */
const LAG_REACH = 1 / 1.9;

/** The ACF search annulus for a frame: lags of the tile period at scales S_MIN..S_MAX, +-ROT_MAX. */
function annulus(w: number, h: number): { rMin: number; rMax: number; limitY: number } {
  const nw = Math.min(1024, nextPow2(w)),
    cw = Math.min(w, nw),
    ch = Math.min(h, Math.min(1024, nextPow2(h)));
  return { rMin: S_MIN * TILE, rMax: Math.min(S_MAX * TILE, cw * LAG_REACH, nw / 2), limitY: ch / 2 };
}

function inAnnulus(x: number, y: number, rMin: number, rMax: number): boolean {
  const r = Math.hypot(x, y);
  return r >= rMin && r <= rMax && Math.abs(Math.atan2(y, x)) <= ROT_MAX;
}

/** How many lattice cells the ACF search can pick from (the search's share of the trial count). */
export function latticeCellCount(w: number, h: number): number {
  const { rMin, rMax } = annulus(w, h);
  const R = Math.ceil(rMax);
  let n = 0;
  for (let y = -R; y <= R; y++) for (let x = 1; x <= R; x++) if (inAnnulus(x, y, rMin, rMax)) n++;
  return n;
}

/** Lattice vectors (in frame pixels) of the strongest ACF peaks in the search annulus. */
export function latticeCandidates(acf: Acf): Lattice[] {
  const f = acf.factor;
  const rMin = (S_MIN * TILE) / f,
    rMax = Math.min((S_MAX * TILE) / f, 2 * acf.limitX * LAG_REACH, acf.nw / 2);
  const pts: { x: number; y: number; s: number }[] = [];
  const R = Math.ceil(rMax);
  for (let y = -R; y <= R; y++)
    for (let x = 1; x <= R; x++) {
      if (!inAnnulus(x, y, rMin, rMax)) continue;
      pts.push({ x, y, s: acfAt(acf, x, y) + (x < acf.limitY ? acfAt(acf, -y, x) : 0) });
    }
  pts.sort((a, b) => b.s - a.s);
  const picked: { x: number; y: number }[] = [];
  for (const p of pts) {
    if (picked.length >= 3) break;
    if (picked.some((q) => Math.hypot(q.x - p.x, q.y - p.y) < 4 / f)) continue;
    picked.push(p);
  }
  const cands: Lattice[] = [];
  for (const p of picked) {
    const base = refineLattice(acf, { vx: p.x, vy: p.y });
    if (!Number.isFinite(base.vx) || !Number.isFinite(base.vy)) continue;
    cands.push(base);
    // A peak at twice the true period also appears when the scale is small.
    if (Math.hypot(base.vx, base.vy) / 2 >= rMin * 0.98)
      cands.push(refineLattice(acf, { vx: base.vx / 2, vy: base.vy / 2 }));
  }
  return cands.map((c) => ({ vx: c.vx * f, vy: c.vy * f }));
}
