import sharp from 'sharp';
import type { Box } from '../../faces/types';

/** Variance of the 4-neighbour Laplacian of luminance inside the box: higher is sharper. */
export function sharpness(rgb: Uint8Array, width: number, height: number, box: Box): number {
  const x0 = Math.max(1, Math.round(box.x));
  const y0 = Math.max(1, Math.round(box.y));
  const x1 = Math.min(width - 2, Math.round(box.x + box.width));
  const y1 = Math.min(height - 2, Math.round(box.y + box.height));
  const lum = (x: number, y: number) => {
    const o = (y * width + x) * 3;
    return 0.299 * rgb[o]! + 0.587 * rgb[o + 1]! + 0.114 * rgb[o + 2]!;
  };
  let s = 0;
  let ss = 0;
  let n = 0;
  for (let y = y0; y <= y1; y += 1) {
    for (let x = x0; x <= x1; x += 1) {
      const l = lum(x - 1, y) + lum(x + 1, y) + lum(x, y - 1) + lum(x, y + 1) - 4 * lum(x, y);
      s += l;
      ss += l * l;
      n++;
    }
  }
  return n ? ss / n - (s / n) ** 2 : 0;
}

export function encodeJpeg(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
