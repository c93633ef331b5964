import { makeLayout, type ChipLayout } from './layout';

/**
 * The image/video mark: a keyed tile of 32x32 chips (bilinear between chip centres so it is
 * smooth and low-pass) repeated over the whole frame and added to luma, scaled per 8x8 block by how
 * much change the block can hide (its SSIM budget). The same pattern in every frame lets the
 * detector average frames first; the tiling makes it crop-invariant (fold modulo the tile); the
 * tile lattice seen in the autocorrelation gives scale, rotation and (with a second try) flip.
 *
 * Chips are 8 px or 6 px: larger chips survive a halving followed by compression, smaller ones
 * keep more tiles on small pictures and lose less to the detector's high-pass on a single frame.
 * Stills take 8 px from a short side of LARGE_SIDE; a clip's frames from VIDEO_LARGE_CHIP_AREA
 * (see videoChipFor). A 6 px tile is the 8 px tile at scale 0.75, so the detector searches one
 * reference tile (8 px chips) over a scale range that covers both.
 */
export const CHIP = 8;
export const SMALL_CHIP = 6;
/** short side from which stills take 8 px chips and frames the lower default strength */
export const LARGE_SIDE = 540;
export const GRID = 32;
export const TILE = CHIP * GRID;
/** A clip's frames take 8 px chips from three 8 px tiles of area (and a tile across): see videoChipFor. */
export const VIDEO_LARGE_CHIP_AREA = 3 * TILE * TILE;
const NSYNC = 256;
export const NB = GRID * 2; // fold resolution: two bins per chip
export const BIN = TILE / NB;
export const MIN_SIDE = 96;

const layoutCache = new Map<string, ChipLayout>();
export function layoutFor(key: Buffer): ChipLayout {
  const k = key.toString('hex');
  let l = layoutCache.get(k);
  if (!l) {
    l = makeLayout(key, 'consentry/wm/luma/v1', GRID * GRID, NSYNC);
    layoutCache.set(k, l);
  }
  return l;
}

/**
 * The chip size the embedder uses on a clip's frames of this size. Clips take 8 px chips on
 * smaller frames than stills: the detector averages their frames, so what limits it is the
 * compression a re-upload adds, which 8 px chips survive better, more than the host's texture on
 * one frame, which 6 px chips suit. Measured on the robustness bench (3 s read; code alone / ledger
 * of 1e9 / matched, of 29 attacks), 6 px -> 8 px chips: 640x360 clip 26 / 26 / 27 -> 29 / 29 / 29;
 * talking-a 512x512 19 / 21 / 24 -> 23 / 25 / 26 (halved + CRF 30 read by the code alone). On
 * talking-a scaled to 384x384 (2.25 tiles) 8 px chips read less (untouched z 9.7 -> 7.6), hence
 * the area bound.
 */
export function videoChipFor(width: number, height: number): number {
  return width * height >= VIDEO_LARGE_CHIP_AREA && Math.min(width, height) >= TILE ? CHIP : SMALL_CHIP;
}

/** The chip size the embedder uses on a still of this size. */
export function chipFor(width: number, height: number): number {
  return Math.min(width, height) >= LARGE_SIDE ? CHIP : SMALL_CHIP;
}

/** Renders chip values into a (chip * GRID)^2 smooth tile (bilinear between chip centres, circular). */
export function renderTile(chips: Float32Array, chip = CHIP): Float32Array {
  const TILE = chip * GRID;
  const CHIP = chip;
  const t = new Float32Array(TILE * TILE);
  const c0 = (CHIP - 1) / 2;
  for (let y = 0; y < TILE; y++) {
    const fy = (y - c0) / CHIP;
    const iy = Math.floor(fy);
    const wy = fy - iy;
    const y0 = (iy + GRID) % GRID,
      y1 = (iy + 1 + GRID) % GRID;
    for (let x = 0; x < TILE; x++) {
      const fx = (x - c0) / CHIP;
      const ix = Math.floor(fx);
      const wx = fx - ix;
      const x0 = (ix + GRID) % GRID,
        x1 = (ix + 1 + GRID) % GRID;
      t[y * TILE + x] =
        (1 - wy) * ((1 - wx) * chips[y0 * GRID + x0] + wx * chips[y0 * GRID + x1]) +
        wy * ((1 - wx) * chips[y1 * GRID + x0] + wx * chips[y1 * GRID + x1]);
    }
  }
  let e = 0;
  for (const v of t) e += v * v;
  const s = 1 / Math.sqrt(e / t.length || 1);
  for (let i = 0; i < t.length; i++) t[i] *= s;
  return t;
}
