import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Invalid, UnsupportedMedia } from '../http/errors';
import { checkKey, checkPayload, decodeStill, imageFormat, lumaOf } from './file-io';
import { createLumaEmbedder, MIN_SIDE, type LumaEmbedOptions } from './luma';
import { psnr, ssim } from './quality';

/**
 * A still has no frame averaging at detection, so it takes the whole invisibility budget: the
 * embedder's SSIM and squared-change bounds sit just inside the bars, and embedImageFile measures
 * the written picture against them exactly.
 */
export const IMAGE_EMBED: Required<Pick<LumaEmbedOptions, 'strength' | 'maxMse'>> = {
  strength: 0.0095,
  maxMse: 3.9,
};
/** The invisibility bars every marked still meets, measured on its luma. */
export const IMAGE_MIN_PSNR_DB = 42;
export const IMAGE_MIN_SSIM = 0.99;
const IMAGE_EMBED_TRIES = 6;

/**
 * Marks a still image: the luma change is added equally to R, G and B so chroma is untouched.
 * The marked pixels are measured before writing; a picture that misses a bar is marked again more
 * weakly (the estimates behind the embedder's bounds are averages, and a picture can stray).
 */
export async function embedImageFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  opts: LumaEmbedOptions = IMAGE_EMBED,
): Promise<{ psnrDb: number; ssim: number }> {
  checkPayload(payloadHex);
  checkKey(key);
  if (!fs.existsSync(inPath)) throw new Invalid('file_not_found', `No file at ${inPath}.`);
  const fmt = await imageFormat(inPath);
  if (!fmt) throw new UnsupportedMedia('unsupported_image', 'The input is not a readable still image.');
  const ext = path.extname(outPath).toLowerCase();
  if (!['.jpg', '.jpeg', '.webp', '.png', ''].includes(ext))
    throw new Invalid('unsupported_output', `Cannot write images as ${ext}; use .png, .jpg or .webp.`);
  const { data, info } = await decodeStill(inPath);
  const { width: w, height: h, channels: c } = info;
  if (w < MIN_SIDE || h < MIN_SIDE)
    throw new Invalid(
      'image_too_small',
      `Images smaller than ${MIN_SIDE}x${MIN_SIDE} cannot carry the mark.`,
    );
  const y = lumaOf(data, c, w * h);
  let strength = opts.strength ?? IMAGE_EMBED.strength;
  let maxMse = opts.maxMse ?? IMAGE_EMBED.maxMse;
  for (let attempt = 1; ; attempt++) {
    const marked = Uint8Array.from(y);
    createLumaEmbedder(payloadHex, key, { strength, maxMse }).embed(marked, w, h);
    const out = Buffer.from(data);
    for (let i = 0; i < w * h; i++) {
      const d = marked[i] - y[i];
      if (d === 0) continue;
      for (let k = 0; k < 3; k++) {
        const v = out[i * c + k] + d;
        out[i * c + k] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    const yOut = lumaOf(out, c, w * h);
    const psnrDb = psnr(y, yOut);
    if (!Number.isFinite(psnrDb))
      throw new UnsupportedMedia(
        'image_not_markable',
        'The picture has no tones the mark can change (it is all black or all white).',
      );
    const ss = ssim(y, yOut, w, h);
    if (psnrDb >= IMAGE_MIN_PSNR_DB && ss >= IMAGE_MIN_SSIM) {
      let img = sharp(out, { raw: { width: w, height: h, channels: c } });
      if (ext === '.jpg' || ext === '.jpeg') img = img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' });
      else if (ext === '.webp') img = img.webp({ quality: 95 });
      else img = img.png();
      await img.toFile(outPath);
      return { psnrDb, ssim: ss };
    }
    // Only reachable on pictures unlike the fixtures; each retry lowers the bound that was missed.
    if (attempt === IMAGE_EMBED_TRIES)
      throw new UnsupportedMedia(
        'image_not_markable',
        'The mark could not be made invisible enough on this picture.',
      );
    if (psnrDb < IMAGE_MIN_PSNR_DB) maxMse *= 10 ** ((psnrDb - IMAGE_MIN_PSNR_DB - 0.05) / 10);
    if (ss < IMAGE_MIN_SSIM) strength *= (1 - IMAGE_MIN_SSIM - 0.0003) / (1 - ss);
  }
}
