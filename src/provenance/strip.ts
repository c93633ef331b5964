/**
 * Removes embedded C2PA manifests without touching media data, so a stripped asset is what a
 * platform that drops metadata would serve. Box and chunk sizes are kept where the container
 * stores absolute offsets (ISO BMFF, RIFF): the manifest box is relabelled as free space.
 */
import { Invalid, UnsupportedMedia } from '../http/errors';
import { sniffFormat } from './format';

const C2PA_BMFF_UUID = Buffer.from('d8fec3d61b0e483c92975828877ec481', 'hex');

function stripJpeg(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new Invalid('media_corrupt', 'The JPEG has a broken marker structure.');
    const marker = b[i + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end: the rest is entropy-coded data
    if (marker === 0xff || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      parts.push(b.subarray(i, i + (marker === 0xff ? 1 : 2)));
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    const end = i + 2 + len;
    if (len < 2 || end > b.length)
      throw new Invalid('media_corrupt', 'The JPEG is truncated inside a header segment.');
    const isJumbf = marker === 0xeb && b.toString('latin1', i + 4, i + 6) === 'JP';
    if (!isJumbf) parts.push(b.subarray(i, end));
    i = end;
  }
  parts.push(b.subarray(i));
  return Buffer.concat(parts);
}

function stripPng(b: Buffer): Buffer {
  const parts: Buffer[] = [b.subarray(0, 8)];
  let i = 8;
  while (i + 12 <= b.length) {
    const len = b.readUInt32BE(i);
    const end = i + 12 + len;
    if (end > b.length) throw new Invalid('media_corrupt', 'The PNG is truncated inside a chunk.');
    if (b.toString('latin1', i + 4, i + 8) !== 'caBX') parts.push(b.subarray(i, end));
    i = end;
  }
  parts.push(b.subarray(i));
  return Buffer.concat(parts);
}

function stripBmff(src: Buffer): Buffer {
  const b = Buffer.from(src);
  let i = 0;
  while (i + 8 <= b.length) {
    let size = b.readUInt32BE(i);
    let header = 8;
    if (size === 1) {
      if (i + 16 > b.length) break;
      size = Number(b.readBigUInt64BE(i + 8));
      header = 16;
    } else if (size === 0) size = b.length - i;
    if (size < header || i + size > b.length)
      throw new Invalid('media_corrupt', 'The MP4 is truncated inside a top-level box.');
    if (
      b.toString('latin1', i + 4, i + 8) === 'uuid' &&
      b.subarray(i + header, i + header + 16).equals(C2PA_BMFF_UUID)
    ) {
      b.write('free', i + 4, 'latin1');
    }
    i += size;
  }
  return b;
}

function stripRiff(src: Buffer): Buffer {
  const b = Buffer.from(src);
  let i = 12;
  while (i + 8 <= b.length) {
    const size = b.readUInt32LE(i + 4);
    if (b.toString('latin1', i, i + 4) === 'C2PA') b.write('JUNK', i, 'latin1');
    i += 8 + size + (size % 2);
  }
  return b;
}

export function stripManifest(bytes: Buffer): Buffer {
  switch (sniffFormat(bytes)) {
    case 'image/jpeg':
      return stripJpeg(bytes);
    case 'image/png':
      return stripPng(bytes);
    case 'video/mp4':
    case 'video/quicktime':
      return stripBmff(bytes);
    case 'audio/wav':
      return stripRiff(bytes);
    default:
      throw new UnsupportedMedia(
        'strip_unsupported',
        'Removing a manifest is only supported for JPEG, PNG, MP4/MOV and WAV.',
      );
  }
}
