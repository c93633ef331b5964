/**
 * Finds files cut short: ffprobe happily describes an MP4 whose media data stops half way when
 * its index comes first, so the container's own sizes are checked against the file's length.
 */
import fs from 'node:fs';
import { Invalid } from '../http/errors';

const truncated = (what: string) =>
  new Invalid(
    'media_truncated',
    `The ${what} is truncated: it ends before the data its own headers announce. Upload the complete file.`,
  );

async function readAt(fd: fs.promises.FileHandle, pos: number, len: number): Promise<Buffer> {
  const b = Buffer.alloc(len);
  const { bytesRead } = await fd.read(b, 0, len, pos);
  return b.subarray(0, bytesRead);
}

/** Walks the top-level boxes of ISO media (MP4, MOV, M4A): every box must end within the file. */
async function checkIsoBoxes(fd: fs.promises.FileHandle, size: number): Promise<void> {
  let pos = 0;
  let boxes = 0;
  while (pos < size) {
    const h = await readAt(fd, pos, 16);
    if (h.length < 8) throw truncated('video');
    let len = h.readUInt32BE(0);
    if (len === 1) {
      if (h.length < 16) throw truncated('video');
      len = Number(h.readBigUInt64BE(8));
    } else if (len === 0) {
      len = size - pos; // "to the end of the file"
    }
    if (len < 8)
      throw new Invalid('media_corrupt', 'The video is corrupt: a container box has an impossible size.');
    if (pos + len > size) throw truncated('video');
    pos += len;
    if (++boxes > 100000) break;
  }
}

export async function assertComplete(path: string, mimeType: string, size: number): Promise<void> {
  const fd = await fs.promises.open(path, 'r');
  try {
    if (mimeType === 'video/mp4' || mimeType === 'video/quicktime' || mimeType === 'audio/mp4') {
      await checkIsoBoxes(fd, size);
    } else if (mimeType === 'image/png') {
      const tail = await readAt(fd, Math.max(0, size - 12), 12);
      if (tail.toString('latin1', 4, 8) !== 'IEND') throw truncated('PNG image');
    } else if (mimeType === 'image/jpeg') {
      // The end-of-image marker, allowing a little padding some writers add after it.
      const tail = await readAt(fd, Math.max(0, size - 64), 64);
      let found = false;
      for (let i = tail.length - 2; i >= 0 && !found; i--) found = tail[i] === 0xff && tail[i + 1] === 0xd9;
      if (!found) throw truncated('JPEG image');
    } else if (mimeType === 'audio/wav' || mimeType === 'image/webp') {
      const h = await readAt(fd, 0, 8);
      const declared = h.readUInt32LE(4);
      // Streaming writers leave 0 or 0xFFFFFFFF when they could not seek back to fill it in.
      if (declared !== 0 && declared !== 0xffffffff && declared + 8 > size)
        throw truncated(mimeType === 'audio/wav' ? 'WAV audio' : 'WebP image');
    }
  } finally {
    await fd.close();
  }
}
