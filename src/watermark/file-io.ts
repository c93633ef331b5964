import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Invalid } from '../http/errors';

/** What the whole-file helpers share: argument checks, atomic writes and reading stills. */

const IMAGE_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'avif', 'heif', 'gif']);

export function checkPayload(payloadHex: string): void {
  if (!/^[0-9a-fA-F]{16}$/.test(payloadHex))
    throw new Invalid('invalid_payload', 'The payload must be 16 hexadecimal digits (64 bits).');
}
export function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new Invalid('invalid_key', 'The watermark key must be 32 bytes.');
}

/**
 * Runs `write` against a hidden file beside outPath and moves it into place only when it succeeds:
 * a mark that fails part way (ffmpeg has already written the start of the file) never leaves a
 * file, or half of one, where the output was asked for. The extension is kept: ffmpeg picks the
 * container from it.
 */
export async function writeAtomically<T>(outPath: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const ext = path.extname(outPath);
  const tmp = path.join(
    path.dirname(outPath),
    `.${path.basename(outPath, ext)}.${crypto.randomBytes(6).toString('hex')}.partial${ext}`,
  );
  try {
    const r = await write(tmp);
    await fs.promises.rename(tmp, outPath);
    return r;
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

export async function imageFormat(p: string): Promise<string | null> {
  try {
    const m = await sharp(p).metadata();
    return m.format && IMAGE_FORMATS.has(m.format) && (m.pages ?? 1) === 1 ? m.format : null;
  } catch {
    return null;
  }
}

export function lumaOf(rgb: Uint8Array | Buffer, c: number, n: number): Uint8Array {
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    y[i] = Math.round(0.299 * rgb[i * c] + 0.587 * rgb[i * c + 1] + 0.114 * rgb[i * c + 2]);
  return y;
}

/** A still as 8-bit RGB (EXIF orientation applied, alpha dropped), as marking and detection read it. */
export async function decodeStill(p: string): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  return sharp(p).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
}
