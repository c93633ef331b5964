/**
 * The perceptual hash of one frame: a DCT hash (pHash) of a 32x32 grey thumbnail. The low
 * frequencies it keeps survive re-encoding, scaling and JPEG/PNG export; the bits are "above
 * the median of the 8x8 lowest coefficients", so brightness and contrast shifts do not flip them.
 */
import { bitsToHex } from './hamming';

export const THUMB = 32;
const LOW = 8;
/** Below this pixel standard deviation a frame is flat (black, a fade): its hash says nothing. */
const MIN_STDDEV = 4;

const COS: Float64Array = (() => {
  const t = new Float64Array(LOW * THUMB);
  for (let u = 0; u < LOW; u++)
    for (let x = 0; x < THUMB; x++) t[u * THUMB + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * THUMB));
  return t;
})();

/** pHash of a THUMB x THUMB 8-bit grey image (row-major); null for a flat frame. */
export function phash(gray: Uint8Array | Buffer, offset = 0): string | null {
  let sum = 0;
  let sq = 0;
  const n = THUMB * THUMB;
  for (let i = 0; i < n; i++) {
    const v = gray[offset + i];
    sum += v;
    sq += v * v;
  }
  const mean = sum / n;
  if (Math.sqrt(Math.max(0, sq / n - mean * mean)) < MIN_STDDEV) return null;
  // Separable DCT, only the LOW x LOW corner that the hash uses.
  const rows = new Float64Array(THUMB * LOW);
  for (let y = 0; y < THUMB; y++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let x = 0; x < THUMB; x++) s += gray[offset + y * THUMB + x] * COS[u * THUMB + x];
      rows[y * LOW + u] = s;
    }
  }
  const coef = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let y = 0; y < THUMB; y++) s += rows[y * LOW + u] * COS[v * THUMB + y];
      coef[v * LOW + u] = s;
    }
  }
  // The DC term only measures brightness: leave it out of the median.
  const sorted = Array.from(coef.subarray(1)).sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  const bits = new Uint8Array(64);
  for (let i = 0; i < 64; i++) bits[i] = coef[i] > median ? 1 : 0;
  return bitsToHex(bits);
}
