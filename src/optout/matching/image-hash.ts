/**
 * PDQ-style 256-bit perceptual hash: luma, 64x64 downscale, 2D DCT, the 16x16 lowest non-DC
 * frequencies, thresholded at their median. Median thresholding makes it indifferent to brightness
 * and contrast shifts, low frequencies to resizing and recompression, and luma to hue changes. A
 * horizontal mirror only flips the sign of odd horizontal frequencies, so the mirrored hash costs no
 * second decode.
 */
import sharp from 'sharp';
import { UnsupportedMedia } from '../../http/errors';

const N = 64;
const K = 16;
/** Decode size: crop variants are resampled from it, so one decode serves every variant. */
const D = 256;

/**
 * Crops (left, top, width, height as fractions) hashed for reference images. A DCT hash shifts a
 * lot under cropping (phase of the higher frequencies), so the reference carries hashes of its own
 * likely crops: a query cropped by a few percent lands near one of them.
 */
const CROPS: Array<[number, number, number, number]> = [
  ...[0.03, 0.06, 0.09].map((m): [number, number, number, number] => [m, m, 1 - 2 * m, 1 - 2 * m]),
  ...[0.94, 0.88].flatMap((k) =>
    [
      [0, 0],
      [1 - k, 0],
      [0, 1 - k],
      [1 - k, 1 - k],
    ].map(([x, y]): [number, number, number, number] => [x, y, k, k]),
  ),
];

/** DCT-II basis rows 1..16 (skipping DC) sampled at 64 points. */
const DCT: Float64Array = (() => {
  const m = new Float64Array(K * N);
  const scale = Math.sqrt(2 / N);
  for (let k = 0; k < K; k++)
    for (let x = 0; x < N; x++) m[k * N + x] = scale * Math.cos((Math.PI / (2 * N)) * (k + 1) * (2 * x + 1));
  return m;
})();

export interface ImageHashResult {
  hash: Buffer;
  /** Hash of the horizontally mirrored image. */
  flipped: Buffer;
  /** 0..100, PDQ's gradient measure: below ~50 the image is too flat for the hash to mean much. */
  quality: number;
  /** Hashes of centre and corner crops (4-16 %) of the image; store them with a reference so cropped copies match. */
  cropVariants: Buffer[];
}

export async function imageHash(bytes: Buffer): Promise<ImageHashResult> {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0)
    throw new UnsupportedMedia(
      'image_unsupported',
      'The reference is empty; send a JPEG, PNG, WebP, GIF, AVIF or TIFF image.',
    );
  let luma: Buffer;
  try {
    luma = await sharp(bytes, { failOn: 'error', limitInputPixels: 100_000_000 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .greyscale()
      .resize(D, D, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
  } catch {
    throw new UnsupportedMedia(
      'image_unsupported',
      'The reference is not an image this service can read; send a JPEG, PNG, WebP, GIF, AVIF or TIFF image.',
    );
  }
  if (luma.length !== D * D)
    throw new UnsupportedMedia('image_unsupported', 'The reference image could not be decoded to pixels.');
  const main = hashFromLuma(resample(luma, 0, 0, 1, 1));
  const cropVariants = CROPS.map(([x, y, w, h]) => hashFromLuma(resample(luma, x, y, w, h)).hash);
  return { ...main, cropVariants };
}

/** Box-filtered 64x64 luma of the region (fractions of the DxD decode). */
function resample(src: Uint8Array, fx: number, fy: number, fw: number, fh: number): Uint8Array {
  const out = new Uint8Array(N * N);
  const x0 = fx * D;
  const y0 = fy * D;
  const sx = (fw * D) / N;
  const sy = (fh * D) / N;
  for (let y = 0; y < N; y++) {
    const ya = Math.floor(y0 + y * sy);
    const yb = Math.max(ya + 1, Math.min(D, Math.floor(y0 + (y + 1) * sy)));
    for (let x = 0; x < N; x++) {
      const xa = Math.floor(x0 + x * sx);
      const xb = Math.max(xa + 1, Math.min(D, Math.floor(x0 + (x + 1) * sx)));
      let sum = 0;
      for (let yy = ya; yy < yb; yy++) for (let xx = xa; xx < xb; xx++) sum += src[yy * D + xx];
      out[y * N + x] = Math.round(sum / ((yb - ya) * (xb - xa)));
    }
  }
  return out;
}

/** Exposed for tests and for frames already decoded elsewhere: 64x64 8-bit luma, row-major. */
export function hashFromLuma(luma: Uint8Array): Omit<ImageHashResult, 'cropVariants'> {
  // rows: T = DCT (16x64) * X (64x64); coefficients C = T * DCT^T (16x16)
  const t = new Float64Array(K * N);
  for (let k = 0; k < K; k++)
    for (let x = 0; x < N; x++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += DCT[k * N + y] * luma[y * N + x];
      t[k * N + x] = s;
    }
  const c = new Float64Array(K * K);
  for (let u = 0; u < K; u++)
    for (let v = 0; v < K; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += t[u * N + x] * DCT[v * N + x];
      c[u * K + v] = s;
    }
  const mirrored = new Float64Array(K * K);
  // Column frequency v+1 odd flips sign under a horizontal mirror.
  for (let u = 0; u < K; u++)
    for (let v = 0; v < K; v++) mirrored[u * K + v] = (v + 1) % 2 === 1 ? -c[u * K + v] : c[u * K + v];
  return { hash: threshold(c), flipped: threshold(mirrored), quality: gradientQuality(luma) };
}

function threshold(c: Float64Array): Buffer {
  const sorted = Float64Array.from(c).sort();
  const median = (sorted[127] + sorted[128]) / 2;
  const out = Buffer.alloc(32);
  for (let i = 0; i < 256; i++) if (c[i] > median) out[i >> 3] |= 0x80 >> (i & 7);
  return out;
}

function gradientQuality(luma: Uint8Array): number {
  let sum = 0;
  for (let y = 0; y < N - 1; y++)
    for (let x = 0; x < N; x++) sum += Math.abs(((luma[(y + 1) * N + x] - luma[y * N + x]) * 100) / 255);
  for (let y = 0; y < N; y++)
    for (let x = 0; x < N - 1; x++) sum += Math.abs(((luma[y * N + x + 1] - luma[y * N + x]) * 100) / 255);
  return Math.min(100, Math.floor(sum / 90));
}

const POP8 = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
})();

export function hamming(a: Buffer, b: Buffer): number {
  if (a.length !== b.length)
    throw new RangeError(`hashes differ in length (${a.length} vs ${b.length} bytes)`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += POP8[a[i] ^ b[i]];
  return d;
}
