import sharp from 'sharp';

/**
 * Keeps `frac` of a picture's area, starting 13% across and 21% down (plus a few pixels), so the
 * watermark tile's origin is lost and only the full geometry search can find it. Writes PNG.
 */
export async function cropAtOffset(src: string, out: string, frac: number): Promise<string> {
  const m = await sharp(src).metadata();
  await sharp(src)
    .extract({
      left: Math.round(m.width! * 0.13) + 3,
      top: Math.round(m.height! * 0.21) + 5,
      width: Math.round(m.width! * Math.sqrt(frac)),
      height: Math.round(m.height! * Math.sqrt(frac)),
    })
    .png()
    .toFile(out);
  return out;
}
