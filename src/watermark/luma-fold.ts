import { fft2 } from '../media/fft';
import { chipValues, type ChipLayout } from './layout';
import { BIN, CHIP, GRID, NB, renderTile, TILE } from './luma-tile';

/**
 * Folding the residual modulo the tile under a candidate geometry (crop-invariant: every tile
 * adds to the same bins), and the fold's correlation with the keyed sync chips at every offset.
 */

export interface FoldResult {
  z: number;
  peak: number;
  ox: number;
  oy: number;
  folded: Float64Array;
}

let syncSpecCache: { key: string; re: Float64Array; im: Float64Array } | null = null;
export function syncSpectrum(key: Buffer, layout: ChipLayout): { re: Float64Array; im: Float64Array } {
  const k = key.toString('hex');
  if (syncSpecCache?.key === k) return syncSpecCache;
  const tile = renderTile(chipValues(layout, null));
  const re = new Float64Array(NB * NB),
    im = new Float64Array(NB * NB);
  for (let y = 0; y < TILE; y++)
    for (let x = 0; x < TILE; x++) re[Math.floor(y / BIN) * NB + Math.floor(x / BIN)] += tile[y * TILE + x];
  fft2(re, im, NB, NB);
  syncSpecCache = { key: k, re, im };
  return syncSpecCache;
}

/**
 * Folds the residual modulo the tile under a candidate geometry (no flip): each bin holds the sum
 * of its pixels divided by the square root of their count, so bins are unit-variance under no mark.
 * Tile coordinates advance in fixed point (a quarter faster than floats): the arithmetic shift is a
 * floor, and the mask wraps negative coordinates too.
 */
export function foldResidual(
  r: Float32Array,
  w: number,
  h: number,
  scale: number,
  theta: number,
): Float64Array {
  const sum = new Float64Array(NB * NB);
  const cnt = new Float64Array(NB * NB);
  const c = Math.cos(theta) / scale / BIN,
    s = Math.sin(theta) / scale / BIN;
  // 8.24 fixed point that wraps modulo 2^32: 2^8 is a multiple of NB, so the wrap keeps the bin.
  // The rounding of the step drifts by under 2^-12 bins across a row; the bias of 2^-10 bins keeps
  // coordinates that are exact bin edges (every few pixels at simple scales) in the bin a float floor gives.
  const FX = 16777216;
  const BIAS = 16384;
  const dU = Math.round(c * FX) | 0,
    dV = Math.round(-s * FX) | 0;
  const M = NB - 1;
  for (let y = 0; y < h; y++) {
    let U = (Math.round(s * y * FX) + BIAS) | 0;
    let V = (Math.round(c * y * FX) + BIAS) | 0;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const v = r[row + x];
      if (v !== 0) {
        const b = (((V >> 24) & M) << 6) | ((U >> 24) & M);
        sum[b] += v;
        cnt[b]++;
      }
      U = (U + dU) | 0;
      V = (V + dV) | 0;
    }
  }
  const folded = new Float64Array(NB * NB);
  for (let i = 0; i < folded.length; i++) folded[i] = cnt[i] ? sum[i] / Math.sqrt(cnt[i]) : 0;
  return folded;
}

/**
 * The fold of the horizontally flipped image, from the unflipped fold: flipping negates the tile
 * x coordinate, and floor(-u) = -floor(u) - 1 puts bin k at NB - 1 - k.
 */
export function mirrorFold(folded: Float64Array): Float64Array {
  const m = new Float64Array(NB * NB);
  for (let y = 0; y < NB; y++) for (let x = 0; x < NB; x++) m[y * NB + x] = folded[y * NB + (NB - 1 - x)];
  return m;
}

/** Circular correlation of a fold with the sync tile: the best (or given) offset and its z-score. */
export function syncFold(
  folded: Float64Array,
  spec: { re: Float64Array; im: Float64Array },
  at?: { ox: number; oy: number },
): FoldResult {
  const re = Float64Array.from(folded),
    im = new Float64Array(NB * NB);
  fft2(re, im, NB, NB);
  for (let i = 0; i < re.length; i++) {
    const a = re[i],
      b = im[i];
    re[i] = a * spec.re[i] + b * spec.im[i];
    im[i] = b * spec.re[i] - a * spec.im[i];
  }
  fft2(re, im, NB, NB, true);
  let best = -Infinity,
    bi = 0;
  if (at) {
    bi = at.oy * NB + at.ox;
    best = re[bi];
  } else
    for (let i = 0; i < re.length; i++)
      if (re[i] > best) {
        best = re[i];
        bi = i;
      }
  const ox = bi % NB,
    oy = (bi / NB) | 0;
  let s1 = 0,
    s2 = 0,
    m = 0;
  for (let i = 0; i < re.length; i++) {
    const dx = ((i % NB) - ox + NB) % NB,
      dy = (((i / NB) | 0) - oy + NB) % NB;
    const ddx = Math.min(dx, NB - dx),
      ddy = Math.min(dy, NB - dy);
    if (ddx <= 2 && ddy <= 2) continue;
    s1 += re[i];
    s2 += re[i] * re[i];
    m++;
  }
  const mean = s1 / m;
  const sd = Math.sqrt(Math.max(1e-30, s2 / m - mean * mean));
  const z = (best - mean) / sd;
  return { z: Number.isFinite(z) ? z : 0, peak: best, ox, oy, folded };
}

export function chipSoftFromFold(fr: FoldResult): Float64Array {
  const soft = new Float64Array(GRID * GRID);
  const per = CHIP / BIN;
  for (let j = 0; j < GRID; j++)
    for (let i = 0; i < GRID; i++) {
      let a = 0;
      for (let dy = 0; dy < per; dy++)
        for (let dx = 0; dx < per; dx++)
          a += fr.folded[((j * per + dy + fr.oy) & (NB - 1)) * NB + ((i * per + dx + fr.ox) & (NB - 1))];
      soft[j * GRID + i] = a;
    }
  return soft;
}
