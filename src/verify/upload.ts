/**
 * Streams one multipart file field to a temporary file, hashing it on the way: the upload is
 * never held whole in memory. Over-size, aborted and truncated uploads reject with a 4xx AppError.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import { Invalid, PayloadTooLarge, UnsupportedMedia } from '../http/errors';

export interface ReceivedUpload {
  path: string;
  filename: string | null;
  size: number;
  sha256: string;
}

/** Multipart framing around the file is small; anything beyond this over the limit is refused before reading. */
const MULTIPART_OVERHEAD = 64 * 1024;

/**
 * Refuses once the body has been read and discarded, so a client still sending reads the answer
 * instead of failing with a broken pipe. Bodies far over the limit are not read: the connection
 * is closed after the answer instead.
 */
function refuseAfterBody(req: Request, err: Error, limitBytes: number): Promise<never> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > 4 * limitBytes + MULTIPART_OVERHEAD) {
    req.resume();
    return Promise.reject(err);
  }
  // A JSON body was already read by the body parser: nothing is left to drain.
  if (req.readableEnded || req.complete) return Promise.reject(err);
  return new Promise((_, reject) => {
    req.once('end', () => reject(err));
    req.once('close', () => reject(err));
    req.resume();
  });
}

export function receiveUpload(
  req: Request,
  dir: string,
  limitBytes: number,
  field = 'file',
): Promise<ReceivedUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    return refuseAfterBody(
      req,
      new UnsupportedMedia(
        'multipart_required',
        `Send the file as multipart/form-data in a field named "${field}".`,
      ),
      limitBytes,
    );
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes + MULTIPART_OVERHEAD) {
    return refuseAfterBody(
      req,
      new PayloadTooLarge(
        'media_too_large',
        `The upload is ${declared} bytes; the limit is ${limitBytes} bytes.`,
      ),
      limitBytes,
    );
  }
  return new Promise<ReceivedUpload>((resolve, reject) => {
    let settled = false;
    let fileSeen = false;
    let writing: Promise<ReceivedUpload> | null = null;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      // Discard the rest of the body so the client can finish sending and read the error.
      req.resume();
      reject(e);
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: limitBytes, fields: 8, fieldSize: 4096, parts: 10 },
      });
    } catch {
      reject(
        new Invalid(
          'multipart_invalid',
          'The multipart request has no boundary; send it as multipart/form-data.',
        ),
      );
      return;
    }
    bb.on('file', (name, stream, info) => {
      if (name !== field || fileSeen) {
        stream.resume();
        return;
      }
      fileSeen = true;
      const target = path.join(dir, 'upload');
      const hash = crypto.createHash('sha256');
      let size = 0;
      let tooLarge = false;
      stream.on('limit', () => {
        tooLarge = true;
        fail(
          new PayloadTooLarge('media_too_large', `The file is larger than the limit of ${limitBytes} bytes.`),
        );
        stream.resume();
      });
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      writing = pipeline(stream, meter, fs.createWriteStream(target)).then(() => {
        if (tooLarge || (stream as unknown as { truncated?: boolean }).truncated)
          throw new PayloadTooLarge(
            'media_too_large',
            `The file is larger than the limit of ${limitBytes} bytes.`,
          );
        return {
          path: target,
          filename: info.filename ? path.basename(info.filename).slice(0, 200) : null,
          size,
          sha256: hash.digest('hex'),
        };
      });
      writing.catch(fail);
    });
    bb.on('error', () =>
      fail(
        new Invalid(
          'upload_truncated',
          'The upload ended before the multipart body was complete; send the whole file again.',
        ),
      ),
    );
    bb.on('close', () => {
      if (settled) return;
      if (!writing) {
        fail(new Invalid('file_missing', `The request has no file; attach it in a field named "${field}".`));
        return;
      }
      writing.then((r) => {
        if (settled) return;
        settled = true;
        resolve(r);
      }, fail);
    });
    req.on('close', () => {
      if (!req.complete)
        fail(new Invalid('upload_aborted', 'The upload was interrupted before it finished.'));
    });
    req.pipe(bb);
  });
}
