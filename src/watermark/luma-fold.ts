import { fft2 } from '../media/fft';
import type { ChipLayout } from './layout';
import { BIN, CHIP, GRID, NB } from './luma-tile';

/**
 * Folding the residual modulo the tile under a candidate geometry (crop-invariant: every tile
 * adds to the same bins), and the fold's correlation with the keyed sync chips at every offset.
 */

export interface FoldResult {
  z: number;
  /** the reading (READ_RINGS) the sync scored best with */
  ring: number;
  /** the fold read through each reading's footprint at every bin, the one the sync chose first */
  readings: Float64Array[];
  ox: number;
  oy: number;
  folded: Float64Array;
}

/**
 * What one chip reads from the fold: its own 2x2 bins less `ring` times the mean of the 4x4 bins
 * around them (its bins and the half chip about them). The fold still carries the host's low
 * frequencies that the residual's local mean let through, and they lean the same way across
 * neighbouring bins, so taking the surround out keeps more of the mark than of the host. Where
 * the noise is white (grain, a synthetic frame) the surround only takes out the chip's own
 * bilinear skirt, so both readings are scored and the better one kept, charged twice. On talking-a
 * at the true alignment (sync / payload z, 4 payloads, ring 0 -> 0.75): cropped at an offset
 * 7.2-8.1 / 11.1-13.6 -> 8.5-9.6 / 13.2-15.0; CRF 35 8.1-8.8 / 13.7-14.5 -> 9.0-9.9 / 15.8-16.4;
 * halved + CRF 30 5.4-6.7 / 9.7-10.3 -> 5.1-7.1 / 10.3-11.6. On a synthetic frame under white
 * noise sigma 32, 5.95 -> 4.91.
 */
/** Exactly two: syncFold computes both readings' energies in one transform. */
export const READ_RINGS = [0, 0.75] as const;

/** A chip's footprint in the fold, at the bins (-1..2)^2 about its top-left bin (wrapped). */
function footprint(ring: number): Float64Array {
  const f = new Float64Array(NB * NB);
  for (let y = -1; y <= 2; y++)
    for (let x = -1; x <= 2; x++) {
      const own = y >= 0 && y <= 1 && x >= 0 && x <= 1;
      f[((y + NB) % NB) * NB + ((x + NB) % NB)] = (own ? 1 : 0) - ring / 4;
    }
  return f;
}

/**
 * The sync chips in the fold's frequency domain: one chip's footprint for each reading, and where
 * the sync chips sit, with (`signed`) and without (`mask`) their keyed signs. The fold's
 * correlation with the sync chips is the signed placement of the footprint; the energy under them
 * at an offset is the unsigned placement of the squared footprint reading.
 */
export interface SyncSpectrum {
  key: string;
  shapes: { ring: number; re: Float64Array; im: Float64Array }[];
  signedRe: Float64Array;
  signedIm: Float64Array;
  maskRe: Float64Array;
  maskIm: Float64Array;
}

let syncSpecCache: SyncSpectrum | null = null;
export function syncSpectrum(key: Buffer, layout: ChipLayout): SyncSpectrum {
  const k = key.toString('hex');
  if (syncSpecCache?.key === k) return syncSpecCache;
  const shapes = READ_RINGS.map((ring) => {
    const re = footprint(ring),
      im = new Float64Array(NB * NB);
    fft2(re, im, NB, NB);
    return { ring, re, im };
  });
  const per = CHIP / BIN;
  const signedRe = new Float64Array(NB * NB),
    signedIm = new Float64Array(NB * NB),
    maskRe = new Float64Array(NB * NB),
    maskIm = new Float64Array(NB * NB);
  for (let i = 0; i < layout.syncIdx.length; i++) {
    const c = layout.syncIdx[i];
    const b = ((c / GRID) | 0) * per * NB + (c % GRID) * per;
    signedRe[b] = layout.syncSign[i];
    maskRe[b] = 1;
  }
  fft2(signedRe, signedIm, NB, NB);
  fft2(maskRe, maskIm, NB, NB);
  syncSpecCache = { key: k, shapes, signedRe, signedIm, maskRe, maskIm };
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

/** re + i im <- (re + i im) * conj(bRe + i bIm), in place */
function mulConj(re: Float64Array, im: Float64Array, bRe: Float64Array, bIm: Float64Array): void {
  for (let i = 0; i < re.length; i++) {
    const a = re[i],
      b = im[i];
    re[i] = a * bRe[i] + b * bIm[i];
    im[i] = b * bRe[i] - a * bIm[i];
  }
}

/**
 * The fold's sync score at every offset and for each reading (READ_RINGS), and the best (or the
 * given offset's best). At offset o each sync chip reads a_i, the fold under its footprint; the
 * score is sum(s_i a_i) / sqrt(sum(a_i^2)), s_i its keyed sign. For unmarked input the signs are
 * fair coins independent of the a_i, so the score is a self-normalised weighted Rademacher sum whose
 * tail is bounded by RADEMACHER_TAIL_C times the normal tail, whatever the picture (stats.ts).
 * Until stop 33 the correlation was normalised by its spread across offsets, which counted the
 * mark's own sidelobes and the host's structure as noise and had no proven tail: on talking-a
 * cropped at an offset it scored 6.1-6.7 where the chips' own sum stood at 7.2-8.1.
 */
export function syncFold(
  folded: Float64Array,
  spec: SyncSpectrum,
  at?: { ox: number; oy: number },
): FoldResult {
  const n = NB * NB;
  const fRe = Float64Array.from(folded),
    fIm = new Float64Array(n);
  fft2(fRe, fIm, NB, NB);
  // Every output below is real, so two share one inverse transform as its real and imaginary
  // parts: each reading's footprint values with its signed sum, then both readings' energies.
  const readings: Float64Array[] = [];
  const sums: Float64Array[] = [];
  for (const shape of spec.shapes) {
    const gRe = Float64Array.from(fRe),
      gIm = Float64Array.from(fIm);
    mulConj(gRe, gIm, shape.re, shape.im);
    const hRe = Float64Array.from(gRe),
      hIm = Float64Array.from(gIm);
    mulConj(hRe, hIm, spec.signedRe, spec.signedIm);
    // g + i h: its inverse is (the fold under the footprint) + i (the signed sum over the sync chips)
    for (let i = 0; i < n; i++) {
      const re = gRe[i] - hIm[i];
      gIm[i] += hRe[i];
      gRe[i] = re;
    }
    fft2(gRe, gIm, NB, NB, true);
    readings.push(gRe);
    sums.push(gIm);
  }
  // the energy under the sync chips at every offset, both readings at once
  const eRe = new Float64Array(n),
    eIm = new Float64Array(n);
  const [a0, a1] = readings;
  for (let i = 0; i < n; i++) {
    eRe[i] = a0[i] * a0[i];
    eIm[i] = a1[i] * a1[i];
  }
  fft2(eRe, eIm, NB, NB);
  mulConj(eRe, eIm, spec.maskRe, spec.maskIm);
  fft2(eRe, eIm, NB, NB, true);
  const energies = [eRe, eIm];
  let best: { z: number; i: number; k: number } | null = null;
  const from = at ? at.oy * NB + at.ox : 0,
    to = at ? from + 1 : n;
  for (let k = 0; k < readings.length; k++) {
    const e = energies[k],
      sum = sums[k];
    for (let i = from; i < to; i++) {
      const z = e[i] > 1e-12 ? sum[i] / Math.sqrt(e[i]) : 0;
      if (Number.isFinite(z) && (!best || z > best.z)) best = { z, i, k };
    }
  }
  const i = best?.i ?? from,
    k = best?.k ?? 0;
  return {
    z: best?.z ?? 0,
    ring: spec.shapes[k].ring,
    ox: i % NB,
    oy: (i / NB) | 0,
    folded,
    readings: [readings[k], ...readings.filter((_, j) => j !== k)],
  };
}

/**
 * Every chip's reading at the fold's offset, through one of the readings' footprints: by default
 * the one the sync scored best with.
 */
export function chipSoftFromFold(fr: FoldResult, which = 0): Float64Array {
  const reading = fr.readings[which];
  const soft = new Float64Array(GRID * GRID);
  const per = CHIP / BIN;
  const M = NB - 1;
  for (let j = 0; j < GRID; j++)
    for (let i = 0; i < GRID; i++)
      soft[j * GRID + i] = reading[((j * per + fr.oy) & M) * NB + ((i * per + fr.ox) & M)];
  return soft;
}
