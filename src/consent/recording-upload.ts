import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'express';
import { Invalid, PayloadTooLarge, UnsupportedMedia } from '../http/errors';
import { ffmpegBin, runTool } from '../media/tools';
import { MAX_RECORDING_BYTES } from './analysis/limits';

/** Content types a recording may arrive with (the bytes are probed afterwards whatever is claimed). */
export const RECORDING_CONTENT_TYPES = [
  'video/mp4',
  'video/webm',
  'video/quicktime',
  'video/x-matroska',
  'application/octet-stream',
];

export interface ReceivedRecording {
  dir: string;
  path: string;
  bytes: number;
  sha256: string;
  cleanup(): void;
}

/**
 * Streams the request body to a private temp file (never whole in memory), hashing as it goes.
 * Past the limit the rest of the body is read and dropped, so the client gets the 413 answer
 * instead of a reset connection; a body far past the limit is cut off.
 */
export async function receiveRecording(
  req: Request,
  maxBytes = MAX_RECORDING_BYTES,
): Promise<ReceivedRecording> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!RECORDING_CONTENT_TYPES.includes(type)) {
    req.resume();
    throw new UnsupportedMedia(
      'unsupported_content_type',
      `Send the recording as the request body with Content-Type video/mp4 or video/webm (got "${type || 'none'}").`,
    );
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentry-enroll-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const file = path.join(dir, 'recording.bin');
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let over = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(file, { mode: 0o600 });
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        if (err) {
          out.destroy();
          reject(err);
        } else out.end(() => resolve());
      };
      out.on('error', finish);
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          over = true;
          if (bytes > maxBytes * 3) req.destroy();
          return;
        }
        hash.update(chunk);
        if (!out.write(chunk)) {
          req.pause();
          out.once('drain', () => req.resume());
        }
      });
      req.on('end', () => finish());
      req.on('error', (e) => finish(e));
      req.on('aborted', () => finish(new Invalid('upload_aborted', 'The upload was interrupted.')));
    });
  } catch (e) {
    cleanup();
    throw e;
  }
  if (over || (Number.isFinite(declared) && declared > maxBytes)) {
    cleanup();
    throw new PayloadTooLarge(
      'recording_too_large',
      `The recording is larger than ${Math.round(maxBytes / 1048576)} MB; record about 10 seconds and send it again.`,
      { maxBytes },
    );
  }
  if (bytes === 0) {
    cleanup();
    throw new Invalid('empty_recording', 'The request body is empty: send the recording as the body.');
  }
  const sha256 = hash.digest('hex');
  const isEbml = await startsWith(file, Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
  if (isEbml) {
    // Browsers' MediaRecorder writes WebM without a duration (it is still recording when the
    // header is written). A stream copy into a new file writes the duration and an index.
    const fixed = path.join(dir, 'recording.webm');
    try {
      await runTool(ffmpegBin(), ['-v', 'error', '-y', '-i', file, '-map', '0', '-c', 'copy', fixed], {
        timeoutMs: 60000,
      });
      fs.rmSync(file, { force: true });
      return { dir, path: fixed, bytes, sha256, cleanup };
    } catch {
      // Not a readable WebM after all: leave it for the probe to refuse with its own words.
    }
  }
  return { dir, path: file, bytes, sha256, cleanup };
}

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(magic.length);
    const { bytesRead } = await fd.read(buf, 0, magic.length, 0);
    return bytesRead === magic.length && buf.equals(magic);
  } finally {
    await fd.close();
  }
}
