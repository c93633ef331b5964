import { bitsToHex, decodePayload, encodePayload, hexToBits, type DecodedPayload } from './ecc';
import { fft2, nextPow2 } from '../media/fft';
import { boxMean } from './filters';
import { chipValues, makeLayout, softBits, type ChipLayout } from './layout';
import { issuedCandidates, type IssuedCandidate } from './issued';
import type { MarkEvidence } from './issued-match';
import { unionPValue } from './stats';

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
const NB = GRID * 2; // fold resolution: two bins per chip
const BIN = TILE / NB;
export const MIN_SIDE = 96;

// SSIM's constants for 8-bit: the mark's budget is counted in SSIM loss as well as squared change.
const C2 = (0.03 * 255) ** 2;
const C1 = (0.01 * 255) ** 2;
const DARK_SHARE = 0.008;
/**
 * The share of the mark's energy that an SSIM window's variance sees: chips are about as wide as
 * the window, so much of the mark moves the window's mean instead. Measured on the fixture media,
 * SSIM loses about a third of a^2 / (2 variance + C2) with 8-pixel chips, half with 6-pixel ones.
 */
const ssimSeen = (chip: number): number => (chip >= CHIP ? 1 / 3 : 1 / 2);
/**
 * Mean SSIM loss the mark may cost a frame unless the caller says otherwise. Frames with a short
 * side of LARGE_SIDE or more spend less: they hold more tiles, and the delivery encode (CRF 17)
 * costs smooth generated clips about as much SSIM again as the mark itself (measured on the
 * built-in model's 720p clips: 0.004 at this strength, delivered SSIM 0.9905 or better). Smaller
 * frames with 8 px chips (clips, see videoChipFor) usually reach the squared-change bound first.
 */
export const DEFAULT_STRENGTH = { largeFrame: 0.005, smallFrame: 0.007 };
export function defaultStrengthFor(width: number, height: number): number {
  return Math.min(width, height) >= LARGE_SIDE ? DEFAULT_STRENGTH.largeFrame : DEFAULT_STRENGTH.smallFrame;
}

export interface LumaEmbedOptions {
  /** mean SSIM loss allowed (default: defaultStrengthFor the frame) */
  strength?: number;
  /** largest mean squared change allowed, levels^2 (default 3.3, i.e. PSNR >= 42.9 dB before rounding) */
  maxMse?: number;
  /** frames of a clip (chip size by videoChipFor) rather than a still (chipFor) */
  video?: boolean;
}

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

/** y + delta clamped to 0..255, for deltas within +-CLAMP_OFF. */
const CLAMP_OFF = 4096;
const CLAMP = new Uint8Array(2 * CLAMP_OFF + 256);
for (let i = 0; i < CLAMP.length; i++) CLAMP[i] = Math.max(0, Math.min(255, i - CLAMP_OFF));

// Candidate knees of the amplitude curve, in units of C2 (0: the same amplitude everywhere).
const KNEES = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32];

/**
 * Block amplitudes a = A d / (d + K), d = 2 variance + C2: flat up to the knee K, then level.
 * The detector whitens its residual by the local spread, so a level share of the mark in every
 * block serves it best (amplitude in textured blocks is divided by their spread, while flat blocks
 * carry it at almost no host noise); what limits the flat share is SSIM, which there loses about
 * seen a^2 / d. For each knee the scale A is the largest that keeps both the mean squared change
 * (<= maxMse) and the mean SSIM loss (<= strength); the knee kept is the one with the largest total
 * amplitude. Clipping caps near black and white only lower a block, so both bounds still hold.
 */
export function allocate(
  den: Float32Array,
  cap: Float32Array,
  area: Float32Array,
  blocks: number,
  pixels: number,
  strength: number,
  maxMse: number,
  seen: number,
  amp: Float32Array,
): void {
  let bestK = 0,
    bestA = 0,
    bestObj = -1;
  for (const knee of KNEES) {
    const K = knee * C2;
    let s0 = 0,
      s1 = 0,
      s2 = 0;
    for (let i = 0; i < blocks; i++) {
      const f = den[i] / (den[i] + K);
      const nf = area[i] * f;
      s0 += nf;
      s2 += nf * f;
      s1 += (seen * nf * f) / den[i];
    }
    const A = Math.sqrt(Math.min((maxMse * pixels) / s2, (strength * pixels) / s1));
    if (A * s0 > bestObj) {
      bestObj = A * s0;
      bestK = K;
      bestA = A;
    }
  }
  for (let i = 0; i < blocks; i++) amp[i] = Math.min(cap[i], (bestA * den[i]) / (den[i] + bestK));
}

export interface LumaEmbedder {
  /** Marks an 8-bit luma plane in place; returns the mean squared change. */
  embed(y: Uint8Array, width: number, height: number, stride?: number): number;
}

export function createLumaEmbedder(
  payloadHex: string,
  key: Buffer,
  opts: LumaEmbedOptions = {},
): LumaEmbedder {
  const layout = layoutFor(key);
  const values = chipValues(layout, encodePayload(hexToBits(payloadHex)));
  const tiles = new Map<number, Int16Array>();
  const tileOf = (chip: number): Int16Array => {
    let q = tiles.get(chip);
    if (!q) {
      const tile = renderTile(values, chip);
      q = new Int16Array(tile.length);
      for (let i = 0; i < tile.length; i++) q[i] = Math.round(tile[i] * 256);
      tiles.set(chip, q);
    }
    return q;
  };
  const maxMse = opts.maxMse ?? 3.3;
  let amp = new Float32Array(0);
  let ampQ = new Int32Array(0);
  let den = new Float32Array(0);
  let cap = new Float32Array(0);
  let area = new Float32Array(0);
  return {
    embed(y, width, height, stride = width) {
      if (width < MIN_SIDE || height < MIN_SIDE) return 0;
      const chip = opts.video ? videoChipFor(width, height) : chipFor(width, height);
      const strength = opts.strength ?? defaultStrengthFor(width, height);
      const tileQ = tileOf(chip);
      const TILE = chip * GRID;
      const bw = Math.ceil(width / 8),
        bh = Math.ceil(height / 8);
      if (amp.length < bw * bh) {
        amp = new Float32Array(bw * bh);
        ampQ = new Int32Array(bw * bh);
        den = new Float32Array(bw * bh);
        cap = new Float32Array(bw * bh);
        area = new Float32Array(bw * bh);
      }
      // Per block: SSIM's contrast denominator (2 variance + C2) and the caps near black and white.
      for (let by = 0; by < bh; by++) {
        const y0 = by * 8,
          y1 = Math.min(height, y0 + 8);
        for (let bx = 0; bx < bw; bx++) {
          const x0 = bx * 8,
            x1 = Math.min(width, x0 + 8);
          // Every other row is enough to estimate a block's variance.
          let s = 0,
            s2 = 0,
            n = 0;
          for (let yy = y0; yy < y1; yy += 2) {
            const row = yy * stride;
            if (x1 - x0 === 8) {
              // unrolled, as the marking loop below
              const q = row + x0;
              const v0 = y[q],
                v1 = y[q + 1],
                v2 = y[q + 2],
                v3 = y[q + 3],
                v4 = y[q + 4],
                v5 = y[q + 5],
                v6 = y[q + 6],
                v7 = y[q + 7];
              s += v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7;
              s2 += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3 + v4 * v4 + v5 * v5 + v6 * v6 + v7 * v7;
            } else
              for (let xx = x0; xx < x1; xx++) {
                const v = y[row + xx];
                s += v;
                s2 += v * v;
              }
            n += x1 - x0;
          }
          const mean = s / n;
          const i = by * bw + bx;
          den[i] = 2 * Math.max(0, s2 / n - mean * mean) + C2;
          // Near black or white the mark would be clipped on one side, and in dark blocks SSIM's
          // luminance term (denominator 2 mean^2 + C1) feels the mark's local mean.
          const headroom = Math.min(mean, 255 - mean) / 4;
          cap[i] = Math.sqrt(Math.min(headroom * headroom, DARK_SHARE * (2 * mean * mean + C1)));
          area[i] = (y1 - y0) * (x1 - x0);
        }
      }
      allocate(den, cap, area, bw * bh, width * height, strength, maxMse, ssimSeen(chip), amp);
      // Fixed point (tile and amplitude in 1/256ths) with a clamp table: about twice the speed of
      // float stores into a Uint8ClampedArray. A block never straddles a tile edge (TILE is a
      // multiple of 8), so each block reads 8 contiguous tile values. The squared error is sampled
      // on every fourth row, plenty for a PSNR figure.
      for (let i = 0; i < bw * bh; i++) ampQ[i] = Math.round(amp[i] * 256);
      let se = 0,
        seN = 0;
      const full = width >> 3;
      const blocksPerTile = TILE >> 3;
      for (let yy = 0; yy < height; yy++) {
        const row = yy * stride;
        const trow = (yy % TILE) * TILE;
        const arow = (yy >> 3) * bw;
        const sample = (yy & 3) === 0;
        // The tile column advances with the block and wraps without a division per pixel.
        let tb = 0;
        for (let bx = 0; bx < full; bx++) {
          const a = ampQ[arow + bx];
          const p = row + (bx << 3);
          const t = trow + (tb << 3);
          if (++tb === blocksPerTile) tb = 0;
          if (sample) {
            const e0 = ((a * tileQ[t] + 32768) >> 16) + CLAMP_OFF,
              e1 = ((a * tileQ[t + 1] + 32768) >> 16) + CLAMP_OFF,
              e2 = ((a * tileQ[t + 2] + 32768) >> 16) + CLAMP_OFF,
              e3 = ((a * tileQ[t + 3] + 32768) >> 16) + CLAMP_OFF,
              e4 = ((a * tileQ[t + 4] + 32768) >> 16) + CLAMP_OFF,
              e5 = ((a * tileQ[t + 5] + 32768) >> 16) + CLAMP_OFF,
              e6 = ((a * tileQ[t + 6] + 32768) >> 16) + CLAMP_OFF,
              e7 = ((a * tileQ[t + 7] + 32768) >> 16) + CLAMP_OFF;
            const o0 = y[p],
              o1 = y[p + 1],
              o2 = y[p + 2],
              o3 = y[p + 3],
              o4 = y[p + 4],
              o5 = y[p + 5],
              o6 = y[p + 6],
              o7 = y[p + 7];
            const d0 = CLAMP[e0 + o0] - o0,
              d1 = CLAMP[e1 + o1] - o1,
              d2 = CLAMP[e2 + o2] - o2,
              d3 = CLAMP[e3 + o3] - o3,
              d4 = CLAMP[e4 + o4] - o4,
              d5 = CLAMP[e5 + o5] - o5,
              d6 = CLAMP[e6 + o6] - o6,
              d7 = CLAMP[e7 + o7] - o7;
            y[p] = o0 + d0;
            y[p + 1] = o1 + d1;
            y[p + 2] = o2 + d2;
            y[p + 3] = o3 + d3;
            y[p + 4] = o4 + d4;
            y[p + 5] = o5 + d5;
            y[p + 6] = o6 + d6;
            y[p + 7] = o7 + d7;
            se += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
          } else {
            // Unrolled, here and above: the loop over a block's eight pixels cost as much again as
            // the pixels (measured 3.2 -> 1.8 ms a 720p frame for this part).
            y[p] = CLAMP[CLAMP_OFF + y[p] + ((a * tileQ[t] + 32768) >> 16)];
            y[p + 1] = CLAMP[CLAMP_OFF + y[p + 1] + ((a * tileQ[t + 1] + 32768) >> 16)];
            y[p + 2] = CLAMP[CLAMP_OFF + y[p + 2] + ((a * tileQ[t + 2] + 32768) >> 16)];
            y[p + 3] = CLAMP[CLAMP_OFF + y[p + 3] + ((a * tileQ[t + 3] + 32768) >> 16)];
            y[p + 4] = CLAMP[CLAMP_OFF + y[p + 4] + ((a * tileQ[t + 4] + 32768) >> 16)];
            y[p + 5] = CLAMP[CLAMP_OFF + y[p + 5] + ((a * tileQ[t + 5] + 32768) >> 16)];
            y[p + 6] = CLAMP[CLAMP_OFF + y[p + 6] + ((a * tileQ[t + 6] + 32768) >> 16)];
            y[p + 7] = CLAMP[CLAMP_OFF + y[p + 7] + ((a * tileQ[t + 7] + 32768) >> 16)];
          }
        }
        for (let xx = full << 3; xx < width; xx++) {
          const o = y[row + xx];
          const v =
            CLAMP[CLAMP_OFF + o + ((ampQ[arow + (xx >> 3)] * tileQ[trow + (xx % TILE)] + 32768) >> 16)];
          y[row + xx] = v;
          if (sample) se += (v - o) * (v - o);
        }
        if (sample) seN += width;
      }
      return se / Math.max(1, seN);
    },
  };
}

/** One-shot convenience around createLumaEmbedder. */
export function embedLuma(
  y: Uint8Array,
  width: number,
  height: number,
  payloadHex: string,
  key: Buffer,
  opts?: LumaEmbedOptions,
): number {
  return createLumaEmbedder(payloadHex, key, opts).embed(y, width, height);
}

/**
 * Sums luma planes of equal size so detection runs once on their mean. This loop bounds detection
 * speed, so frames are summed four pixels at a time: each 32-bit word of the frame is split into
 * its even and odd bytes, and each half is added into 32-bit words holding two 16-bit lanes (exact
 * for 257 frames of 8-bit values). Full stages are folded into the float sum.
 */
export class LumaAccumulator {
  private readonly total: Float32Array;
  private readonly even: Uint32Array;
  private readonly odd: Uint32Array;
  private readonly words: number;
  private staged = 0;
  frames = 0;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.total = new Float32Array(width * height);
    this.words = (width * height) >> 2;
    this.even = new Uint32Array(this.words);
    this.odd = new Uint32Array(this.words);
  }
  add(y: Uint8Array, stride = this.width): void {
    const { width, height, total } = this;
    if (this.staged === 257) this.flush();
    this.frames++;
    if (stride !== width) {
      for (let yy = 0; yy < height; yy++) {
        const row = yy * stride,
          o = yy * width;
        for (let xx = 0; xx < width; xx++) total[o + xx] += y[row + xx];
      }
      return;
    }
    const n = width * height;
    // An unaligned frame is copied once so it can be read as 32-bit words.
    const src = y.byteOffset & 3 ? Uint8Array.from(y.subarray(0, n)) : y;
    const w32 = new Uint32Array(src.buffer, src.byteOffset, this.words);
    const { even, odd, words } = this;
    for (let i = 0; i < words; i++) {
      const v = w32[i];
      even[i] += v & 0x00ff00ff;
      odd[i] += (v >>> 8) & 0x00ff00ff;
    }
    for (let i = words << 2; i < n; i++) total[i] += src[i];
    this.staged++;
  }
  private flush(): void {
    if (this.staged === 0) return;
    const { total, even, odd, words } = this;
    for (let i = 0; i < words; i++) {
      const e = even[i],
        o = odd[i];
      total[4 * i] += e & 0xffff;
      total[4 * i + 1] += o & 0xffff;
      total[4 * i + 2] += e >>> 16;
      total[4 * i + 3] += o >>> 16;
    }
    even.fill(0);
    odd.fill(0);
    this.staged = 0;
  }
  /** The per-pixel sum of every frame added so far. */
  get sum(): Float32Array {
    this.flush();
    return this.total;
  }
  mean(): Float32Array {
    const s = this.sum;
    const m = new Float32Array(s.length);
    const k = 1 / Math.max(1, this.frames);
    for (let i = 0; i < m.length; i++) m[i] = s[i] * k;
    return m;
  }
}

export interface LumaTransform {
  /** how much the picture was scaled since it was marked (best reading; see undoneScale) */
  scale: number;
  /** the scale at which the 8 px reference tile was found (what a confirmation must fold at) */
  tileScale?: number;
  rotationDeg: number;
  flipped: boolean;
  offsetX: number;
  offsetY: number;
}

export interface LumaDetection {
  detected: boolean;
  payloadHex: string | null;
  crcOk: boolean;
  pValue: number;
  /** normalised sync correlation (a z-score under no mark) */
  score: number;
  transform: LumaTransform | null;
  reason?: string;
  /** the decoder's best guess even when not detected, for bit-accuracy measurements */
  rawPayloadHex?: string;
  /** with a payload: how often a random wrong word passes the CRC this early (ecc.ts crcPassRate) */
  payloadCrcRate?: number;
  /** how many hypotheses the stage that produced this result chose among (its p-value's multiplier) */
  trials?: number;
  /** CRC-valid decodes, for a ledger-aided decision (issued.ts) */
  candidates?: IssuedCandidate[];
  /** the soft values at each alignment that could decide, for the matched test (issued-match.ts) */
  evidence?: MarkEvidence[];
}

export const P_THRESHOLD = 1e-9;
const SWEEP_BELOW_Z = 9;

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

const radiusAt = (scale: number): number => (scale >= COARSE_FROM_SCALE ? COARSE_RADIUS : FINE_RADIUS);

/** A picture's residuals: the fine one, and the coarse one computed when a fold first needs it. */
interface Residuals {
  fine: Float32Array;
  at(scale: number): Float32Array;
}
function residuals(l: Float32Array, w: number, h: number): Residuals {
  const fine = residual(l, w, h);
  let coarse: Float32Array | null = null;
  return {
    fine,
    at: (scale) => (radiusAt(scale) === FINE_RADIUS ? fine : (coarse ??= residual(l, w, h, COARSE_RADIUS))),
  };
}

interface Lattice {
  vx: number;
  vy: number;
}

// Range of the searched lattice vector: scale 0.38..1.15, rotation within +-7 degrees.
const S_MIN = 0.38 * (SMALL_CHIP / CHIP),
  S_MAX = 1.15,
  ROT_MAX = (7 * Math.PI) / 180;

/** Whitened autocorrelation of the central (<= 1024^2) part of the residual. */
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

interface Acf {
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

/** The ACF search annulus for a frame: lags of the tile period at scales S_MIN..S_MAX, +-ROT_MAX. */
function annulus(w: number, h: number): { rMin: number; rMax: number; limitY: number } {
  const cw = Math.min(w, Math.min(1024, nextPow2(w))),
    ch = Math.min(h, Math.min(1024, nextPow2(h)));
  return { rMin: S_MIN * TILE, rMax: Math.min(S_MAX * TILE, cw / 2 / 1.05), limitY: ch / 2 };
}

function inAnnulus(x: number, y: number, rMin: number, rMax: number): boolean {
  const r = Math.hypot(x, y);
  return r >= rMin && r <= rMax && Math.abs(Math.atan2(y, x)) <= ROT_MAX;
}

/** How many lattice cells the ACF search can pick from (the search's share of the trial count). */
function latticeCellCount(w: number, h: number): number {
  const { rMin, rMax } = annulus(w, h);
  const R = Math.ceil(rMax);
  let n = 0;
  for (let y = -R; y <= R; y++) for (let x = 1; x <= R; x++) if (inAnnulus(x, y, rMin, rMax)) n++;
  return n;
}

/** Lattice vectors (in frame pixels) of the strongest ACF peaks in the search annulus. */
function latticeCandidates(acf: Acf): Lattice[] {
  const f = acf.factor;
  const rMin = (S_MIN * TILE) / f,
    rMax = Math.min((S_MAX * TILE) / f, acf.limitX / 1.05);
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

interface FoldResult {
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

/** Folds the residual under a candidate geometry and correlates with the sync. */
export function foldAndSync(
  r: Float32Array,
  w: number,
  h: number,
  scale: number,
  theta: number,
  flip: boolean,
  spec: { re: Float64Array; im: Float64Array },
  at?: { ox: number; oy: number },
): FoldResult {
  const f = foldResidual(r, w, h, scale, theta);
  return syncFold(flip ? mirrorFold(f) : f, spec, at);
}

/** Circular correlation of a fold with the sync tile: the best (or given) offset and its z-score. */
function syncFold(
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

function chipSoftFromFold(fr: FoldResult): Float64Array {
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

export interface LumaDetectOptions {
  /** extra geometries always tried besides the lattice estimates */
  fixedScales?: number[];
  /**
   * Also test the untouched alignment (scale 1, no rotation or flip, tile origin at the top-left
   * pixel) as its own hypothesis. A still image read back as written (or recompressed without
   * resizing or cropping) sits exactly there, and a single frame has no frame averaging to lift
   * the sync above the search's union bound; testing the one alignment costs one trial instead of
   * millions. The two tests share the false-detection budget (Bonferroni, factor 2).
   */
  originPrior?: boolean;
  /**
   * How many times the caller tests growing parts of the same clip (a quick look, then the whole):
   * the looks share the false-detection budget (Bonferroni).
   */
  looks?: number;
  /**
   * Stop after the origin test and the fixed geometries (no autocorrelation, no angle sweep): for
   * an early look at part of a clip that a full look at the whole will back up.
   */
  cheapOnly?: boolean;
}

function decodeAt(layout: ChipLayout, fr: FoldResult): DecodedPayload {
  return decodePayload(softBits(layout, chipSoftFromFold(fr)));
}

/**
 * The chips at one alignment, for the matched test, charged for every point that can decide.
 * After the search (about 1e9 alignments) only the payload chips count: the alignment was chosen
 * on the sync, so given it the payload chips' keyed signs are still fair coins for unmarked input
 * and the test owes nothing to the search. At the origin (`among` = the few fixed scales) the sync
 * chips count too, and the union covers those alignments.
 */
function lumaEvidence(layout: ChipLayout, fr: FoldResult, stages: number, among?: number): MarkEvidence {
  const chips = chipSoftFromFold(fr);
  let payloadEnergy = 0,
    syncSum = 0,
    syncEnergy = 0;
  for (const j of layout.payIdx) payloadEnergy += chips[j] * chips[j];
  if (among !== undefined)
    for (let i = 0; i < layout.syncIdx.length; i++) {
      const v = chips[layout.syncIdx[i]];
      syncSum += layout.syncSign[i] * v;
      syncEnergy += v * v;
    }
  return {
    source: 'picture',
    soft: Array.from(softBits(layout, chips)),
    payloadEnergy,
    syncSum,
    syncEnergy,
    log10Charge: Math.log10(stages * (among ?? 1)),
  };
}

/**
 * Detects the mark in a (mean) luma image. Never throws for content reasons.
 * p-value: union bound of the sync z-score over every geometry/offset the search could have
 * chosen, times 2^-16 when the decoded payload's CRC also holds (independent chips).
 */
export function detectLuma(
  l: Float32Array | Uint8Array,
  w: number,
  h: number,
  key: Buffer,
  opts: LumaDetectOptions = {},
): LumaDetection {
  const none = (reason: string): LumaDetection => ({
    detected: false,
    payloadHex: null,
    crcOk: false,
    pValue: 1,
    score: 0,
    transform: null,
    reason,
  });
  if (w < MIN_SIDE || h < MIN_SIDE) return none(`frame ${w}x${h} is smaller than the ${MIN_SIDE}px minimum`);
  const lf = l instanceof Float32Array ? l : Float32Array.from(l);
  let mn = Infinity,
    mx = -Infinity;
  for (let i = 0; i < lf.length; i += 7) {
    if (lf[i] < mn) mn = lf[i];
    if (lf[i] > mx) mx = lf[i];
  }
  if (mx - mn < 1) return none('frame is flat (no luma variation to carry a mark)');
  const layout = layoutFor(key);
  const spec = syncSpectrum(key, layout);
  const res = residuals(lf, w, h);
  // Every point that can report a detection spends part of the false-detection budget
  // (Bonferroni): the origin test, the quick geometries, and the full search.
  const stages = ((opts.originPrior ? 1 : 0) + 2) * (opts.looks ?? 1);
  const fixed = opts.fixedScales ?? FIXED_SCALES;
  // The fixed geometries are folded once: the origin test and the quick path both read them.
  const fixedFolds = fixed.map((scale) => ({ scale, f: foldResidual(res.at(scale), w, h, scale, 0) }));
  let origin: LumaDetection | null = null;
  if (opts.originPrior) {
    let o: (FoldResult & { scale: number }) | null = null;
    for (const { scale, f } of fixedFolds) {
      const fr = syncFold(f, spec, { ox: 0, oy: 0 });
      if (!o || fr.z > o.z) o = { ...fr, scale };
    }
    const od = decodeAt(layout, o!);
    const trials = fixed.length;
    const pValue = Math.min(1, stages * unionPValue(o!.z, trials, od.crcLog10));
    origin = {
      detected: pValue <= P_THRESHOLD,
      payloadHex: pValue <= P_THRESHOLD && od.crcOk ? bitsToHex(od.payload) : null,
      ...(pValue <= P_THRESHOLD && od.crcOk ? { payloadCrcRate: od.crcPassRate } : {}),
      crcOk: od.crcOk,
      pValue,
      score: o!.z,
      transform: {
        scale: undoneScale(o!.scale, Math.min(w, h)),
        tileScale: o!.scale,
        rotationDeg: 0,
        flipped: false,
        offsetX: 0,
        offsetY: 0,
      },
      trials: stages * trials,
      rawPayloadHex: bitsToHex(od.payload),
      candidates: issuedCandidates(od, o!.z, trials, stages, 'picture'),
      evidence: [lumaEvidence(layout, o!, stages, trials)],
    };
    // Already decided: the search below could only add a second, larger p-value.
    if (origin.detected) return origin;
  }
  // Every (lattice cell, polish step, flip, offset) the full search below could return: the p-value
  // always carries this whole count, including when the quick geometries decide early.
  const sweep = sweepGeometries();
  const trials = searchTrials(w, h, fixed.length);
  const decide = (b: Best): LumaDetection => finish(layout, Math.min(w, h), b, trials, stages, origin);

  let best: Best | null = null;
  const consider = (scale: number, theta: number, folded?: Float64Array): void => {
    const f = folded ?? foldResidual(res.at(scale), w, h, scale, theta);
    for (const flip of [false, true]) {
      const fr = syncFold(flip ? mirrorFold(f) : f, spec);
      if (!best || fr.z > best.z) best = { ...fr, scale, theta, flip };
    }
  };
  // Quick path: what platforms do most (re-encode, crop, halve) keeps the tile unrotated at scale 1
  // or 0.5. When one of those already decides, the autocorrelation (the costliest step) is skipped.
  for (const { scale, f } of fixedFolds) consider(scale, 0, f);
  // Polishing a hopeless quick winner would only cost time: deciding needs z of about 7.3 or more.
  if (best && (best as Best).z >= 6) {
    const quick = decide(polish(res, w, h, spec, best));
    if (quick.detected && quick.crcOk) return quick;
  }
  if (opts.cheapOnly) return best ? decide(best) : none('no geometry candidate');
  const acf = autocorr(res.fine, w, h);
  for (const c of latticeCandidates(acf)) consider(Math.hypot(c.vx, c.vy) / TILE, Math.atan2(c.vy, c.vx));
  // The autocorrelation can miss a weak lattice (rotated + recompressed): sweep angles at the
  // untouched scales before giving up. The sweep ranks angles on the 2x2-averaged residual (a
  // quarter of the pixels; the tile keeps 3-4 px chips there) and folds only the best two at
  // full resolution.
  if (best && (best as Best).z < SWEEP_BELOW_Z) {
    const coarse = w >= 2 * MIN_SIDE && h >= 2 * MIN_SIDE ? halve(res.fine, w, h) : null;
    const ranked = coarse
      ? sweep
          .map((g) => {
            const f = foldResidual(coarse.r, coarse.w, coarse.h, g.scale / 2, g.theta);
            return { g, z: Math.max(syncFold(f, spec).z, syncFold(mirrorFold(f), spec).z) };
          })
          .sort((a, b) => b.z - a.z)
          .slice(0, 2)
          .map((x) => x.g)
      : sweep;
    for (const g of ranked) consider(g.scale, g.theta);
  }
  if (!best) return none('no geometry candidate');
  return decide(polish(res, w, h, spec, best));
}

type Best = FoldResult & { scale: number; theta: number; flip: boolean };

/** The residual averaged 2x2 (for coarse searches). */
function halve(r: Float32Array, w: number, h: number): { r: Float32Array; w: number; h: number } {
  const hw = w >> 1,
    hh = h >> 1;
  const out = new Float32Array(hw * hh);
  for (let y = 0; y < hh; y++)
    for (let x = 0; x < hw; x++) {
      const i = 2 * y * w + 2 * x;
      out[y * hw + x] = (r[i] + r[i + 1] + r[i + w] + r[i + w + 1]) * 0.5;
    }
  return { r: out, w: hw, h: hh };
}

/**
 * The picture's scale from the reference tile's: 8 px chips give it as found, 6 px chips at 4/3 of
 * it, and nothing in the frame says which was used. The reading nearer to untouched or halved
 * (what platforms do) wins.
 */
function undoneScale(tileScale: number, minSide: number): number {
  const small = (tileScale * CHIP) / SMALL_CHIP;
  // Each reading implies the marked original's short side, which bounds its chip size (a clip's
  // frames take 8 px chips from a short side of TILE, a still's from LARGE_SIDE).
  const smallFits = minSide / small < LARGE_SIDE * 1.01;
  const largeFits = minSide / tileScale >= TILE * 0.99;
  if (smallFits !== largeFits) return smallFits ? small : tileScale;
  const off = (s: number) => Math.min(Math.abs(Math.log(s)), Math.abs(Math.log(s / 0.5)));
  return off(small) < off(tileScale) ? small : tileScale;
}

/**
 * Reference-tile scales always tried: untouched and halved, for 8 px chips (1, 0.5) and for 6 px
 * chips (0.75, 0.375). The angle sweep covers the untouched ones.
 */
const FIXED_SCALES = [1, 0.75, 0.5, 0.375];
const SWEEP_SCALES = [1, 0.75];

function sweepGeometries(): { scale: number; theta: number }[] {
  const sweep: { scale: number; theta: number }[] = [];
  for (const sc of SWEEP_SCALES)
    for (let deg = -5; deg <= 5.01; deg += 0.5)
      if (deg !== 0) sweep.push({ scale: sc, theta: (deg * Math.PI) / 180 });
  return sweep;
}

/** Every (lattice cell or fixed or swept geometry, polish step, flip, offset) the search can return. */
function searchTrials(w: number, h: number, fixedCount = FIXED_SCALES.length): number {
  const nCand = 6; // up to three lattice peaks, each with its half period
  return (latticeCellCount(w, h) + nCand + fixedCount + sweepGeometries().length) * 9 * 2 * NB * NB;
}

/** Local polish of scale and angle around the winner: the lattice estimate is good to ~0.1%. */
function polish(
  res: Residuals,
  w: number,
  h: number,
  spec: { re: Float64Array; im: Float64Array },
  start: Best,
): Best {
  const REFINE = [
    [1.0015, 0],
    [0.9985, 0],
    [1, 0.0015],
    [1, -0.0015],
  ];
  let best = start;
  for (let round = 0; round < 2; round++) {
    const b = best;
    for (const [ds, dt] of REFINE) {
      const scale = b.scale * ds,
        theta = b.theta + dt / (round + 1);
      const f = foldResidual(res.at(scale), w, h, scale, theta);
      const fr = syncFold(b.flip ? mirrorFold(f) : f, spec);
      if (fr.z > best.z) best = { ...fr, scale, theta, flip: b.flip };
    }
  }
  return best;
}

function finish(
  layout: ChipLayout,
  minSide: number,
  best: Best,
  trials: number,
  stages: number,
  origin: LumaDetection | null,
): LumaDetection {
  const dec = decodeAt(layout, best);
  const { payload, crcOk, crcLog10 } = dec;
  const pValue = Math.min(1, stages * unionPValue(best.z, trials, crcLog10));
  const candidates = [
    ...(origin?.candidates ?? []),
    ...issuedCandidates(dec, best.z, trials, stages, 'picture'),
  ];
  // both alignments, whichever is reported: the choice between them looked at the payload's CRC
  const evidence = [...(origin?.evidence ?? []), lumaEvidence(layout, best, stages)];
  if (origin && origin.pValue < pValue)
    return { ...origin, candidates, evidence, reason: 'no mark above the operating threshold' };
  const detected = pValue <= P_THRESHOLD;
  const transform: LumaTransform = {
    scale: undoneScale(best.scale, minSide),
    tileScale: best.scale,
    rotationDeg: (best.theta * 180) / Math.PI,
    flipped: best.flip,
    offsetX: best.ox * BIN,
    offsetY: best.oy * BIN,
  };
  return {
    detected,
    payloadHex: detected && crcOk ? bitsToHex(payload) : null,
    ...(detected && crcOk ? { payloadCrcRate: dec.crcPassRate } : {}),
    crcOk,
    pValue,
    score: best.z,
    transform,
    reason: detected ? undefined : 'no mark above the operating threshold',
    rawPayloadHex: bitsToHex(payload),
    trials: stages * trials,
    candidates,
    evidence,
  };
}

/**
 * Tests one known geometry and offset (found on a whole clip) in part of it, e.g. a segment of the
 * timeline. The p-value keeps the trial count of the stage that found the geometry (the whole
 * search unless told), because that geometry was chosen among them on data that includes this part.
 */
export function confirmLuma(
  l: Float32Array,
  w: number,
  h: number,
  key: Buffer,
  t: LumaTransform,
  foundAmong?: number,
): {
  detected: boolean;
  pValue: number;
  payloadHex: string | null;
  score: number;
  candidates: IssuedCandidate[];
  evidence: MarkEvidence[];
} {
  if (w < MIN_SIDE || h < MIN_SIDE)
    return { detected: false, pValue: 1, payloadHex: null, score: 0, candidates: [], evidence: [] };
  const layout = layoutFor(key);
  const spec = syncSpectrum(key, layout);
  const scale = t.tileScale ?? t.scale;
  const f = foldResidual(residual(l, w, h, radiusAt(scale)), w, h, scale, (t.rotationDeg * Math.PI) / 180);
  const fr = syncFold(t.flipped ? mirrorFold(f) : f, spec, {
    ox: Math.round(t.offsetX / BIN) & (NB - 1),
    oy: Math.round(t.offsetY / BIN) & (NB - 1),
  });
  const trials = foundAmong ?? searchTrials(w, h);
  const dec = decodeAt(layout, fr);
  const { payload, crcOk, crcLog10 } = dec;
  const pValue = Math.min(1, unionPValue(fr.z, trials, crcLog10));
  const detected = pValue <= P_THRESHOLD;
  return {
    detected,
    pValue,
    payloadHex: detected && crcOk ? bitsToHex(payload) : null,
    score: fr.z,
    candidates: issuedCandidates(dec, fr.z, trials, 1, 'picture'),
    // Payload chips alone, and with the sync chips charged for the alignments the geometry was
    // chosen among; both charged for the two stages the whole clip's report chose between, and for
    // being two readings.
    evidence: [lumaEvidence(layout, fr, 4), lumaEvidence(layout, fr, 4, trials)],
  };
}
