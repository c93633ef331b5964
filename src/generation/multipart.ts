import busboy from 'busboy';
import type { Request } from 'express';
import { Invalid, PayloadTooLarge } from '../http/errors';

export interface Multipart {
  fields: Record<string, string[]>;
  files: { field: string; data: Buffer }[];
}

/** A small multipart/form-data reader with hard limits; the whole body stays in memory (images only). */
export function readMultipart(
  req: Request,
  limits: { fileBytes: number; files: number },
): Promise<Multipart> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: limits.fileBytes, files: limits.files, fields: 30, fieldSize: 16 * 1024 },
      });
    } catch {
      return reject(new Invalid('multipart_invalid', 'The multipart body has no boundary.'));
    }
    const out: Multipart = { fields: {}, files: [] };
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume();
      reject(e);
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated)
        return fail(new PayloadTooLarge('field_too_large', `The form field ${name} is too long.`));
      (out.fields[name] ??= []).push(value);
    });
    bb.on('file', (field, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () =>
        fail(
          new PayloadTooLarge(
            'file_too_large',
            `A reference image is larger than ${limits.fileBytes} bytes.`,
          ),
        ),
      );
      stream.on('end', () => out.files.push({ field, data: Buffer.concat(chunks) }));
    });
    bb.on('filesLimit', () =>
      fail(new Invalid('too_many_files', `At most ${limits.files} reference images are accepted.`)),
    );
    bb.on('error', (e: Error) =>
      fail(new Invalid('multipart_invalid', `The multipart body is malformed: ${e.message}`)),
    );
    bb.on('close', () => {
      if (!failed) resolve(out);
    });
    req.pipe(bb);
  });
}
