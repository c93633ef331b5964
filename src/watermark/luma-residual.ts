import { boxMean } from './filters';

/** The picture detector's input: luma with its local mean removed, whitened by its local spread. */

/**
 * The high-pass that makes the residual keeps more of the mark the larger its chips appear: the
 * local mean is taken over a (2r+1)^2 box, and a 7 px box removes much of what a 6 or 8 px chip
 * adds. Folds at tile scales of COARSE_FROM_SCALE and up (chips of 4.8 px or more) read a residual
 * with the wider box, smaller ones (halved pictures) the narrow one, which lets less of the host
 * through. Measured on the stills bench and robustness bench (see the closing notes of the change).
 */
const FINE_RADIUS = 3;
/**
 * The local spread that whitens the residual is measured over (2 SPREAD_RADIUS + 1)^2 px: 11x11
 * follows texture edges more closely than 17x17 (robustness bench: 640x360 halved + CRF 35 matched
 * against a ledger of 1e9 at p 7.3e-11 -> 8.3e-12; stills cropped to 35% read by the code alone 3 ->
 * 4 of 7; 9x9 and 13x13 did no better).
 */
const SPREAD_RADIUS = 5;
const COARSE_RADIUS = 4;
const COARSE_FROM_SCALE = 0.6;

/** Whitened high-pass residual: local mean (box of radius r) removed, divided by local spread, clipped. */
export function residual(l: Float32Array, w: number, h: number, radius = FINE_RADIUS): Float32Array {
  const m = boxMean(l, w, h, radius);
  const r = new Float32Array(w * h);
  for (let i = 0; i < r.length; i++) r[i] = l[i] - m[i];
  const r2 = new Float32Array(w * h);
  for (let i = 0; i < r.length; i++) r2[i] = r[i] * r[i];
  const v = boxMean(r2, w, h, SPREAD_RADIUS);
  for (let i = 0; i < r.length; i++) {
    const x = r[i] / Math.sqrt(v[i] + 0.25);
    r[i] = x > 3 ? 3 : x < -3 ? -3 : x;
  }
  return r;
}

export const radiusAt = (scale: number): number => (scale >= COARSE_FROM_SCALE ? COARSE_RADIUS : FINE_RADIUS);

/** A picture's residuals: the fine one, and the coarse one computed when a fold first needs it. */
export interface Residuals {
  fine: Float32Array;
  at(scale: number): Float32Array;
}
export function residuals(l: Float32Array, w: number, h: number): Residuals {
  const fine = residual(l, w, h);
  let coarse: Float32Array | null = null;
  return {
    fine,
    at: (scale) => (radiusAt(scale) === FINE_RADIUS ? fine : (coarse ??= residual(l, w, h, COARSE_RADIUS))),
  };
}
