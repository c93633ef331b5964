/** Reads request bodies the JSON parser leaves alone: raw uploads and multipart forms, with size limits. */
import type { Request } from 'express';
import busboy from 'busboy';
import { Invalid, PayloadTooLarge } from '../http/errors';
import { decodeUtf8 } from './import-rows';

export interface UploadedFile {
  field: string;
  filename: string;
  mimeType: string;
  data: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
}

export function readRawBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(
        new PayloadTooLarge(
          'body_too_large',
          `The upload is ${declared} bytes; this route accepts at most ${limit}.`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(
          new PayloadTooLarge(
            'body_too_large',
            `The upload is larger than the ${limit} bytes this route accepts.`,
          ),
        );
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(new Invalid('body_unreadable', `The upload could not be read: ${e.message}.`));
    });
  });
}

/** Parses multipart/form-data; text fields must be UTF-8, files are kept whole in memory up to the limits. */
export function readMultipart(
  req: Request,
  limits: { fileBytes: number; files: number; totalBytes: number },
): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          fileSize: limits.fileBytes,
          files: limits.files,
          fields: 20,
          fieldSize: 200 * 1024,
          parts: limits.files + 20,
        },
      });
    } catch {
      reject(
        new Invalid(
          'multipart_invalid',
          'The multipart body has no boundary; send multipart/form-data with a boundary.',
        ),
      );
      return;
    }
    const out: MultipartBody = { fields: {}, files: [] };
    let total = 0;
    let error: Error | null = null;
    const fail = (e: Error): void => {
      if (error) return;
      error = e;
      req.unpipe(bb);
      req.resume();
      reject(e);
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated)
        return fail(new PayloadTooLarge('field_too_large', `The form field ${name} is too long.`));
      // busboy decodes fields itself; re-check that nothing was replaced because the bytes were not UTF-8.
      if (value.includes('\uFFFD'))
        return fail(new Invalid('not_utf8', `The form field ${name} is not valid UTF-8 text.`));
      out.fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        total += c.length;
        if (total > limits.totalBytes)
          fail(
            new PayloadTooLarge(
              'body_too_large',
              `The uploads add up to more than ${limits.totalBytes} bytes.`,
            ),
          );
        else chunks.push(c);
      });
      stream.on('limit', () =>
        fail(
          new PayloadTooLarge(
            'file_too_large',
            `The file ${info.filename ?? field} is larger than ${limits.fileBytes} bytes.`,
          ),
        ),
      );
      stream.on('end', () => {
        out.files.push({
          field,
          filename: info.filename ?? '',
          mimeType: info.mimeType,
          data: Buffer.concat(chunks),
        });
      });
    });
    bb.on('filesLimit', () =>
      fail(new Invalid('too_many_files', `At most ${limits.files} files are accepted.`)),
    );
    bb.on('partsLimit', () => fail(new Invalid('too_many_parts', 'The form has too many parts.')));
    bb.on('error', (e: Error) =>
      fail(new Invalid('multipart_invalid', `The multipart body cannot be read: ${e.message}.`)),
    );
    bb.on('close', () => {
      if (!error) resolve(out);
    });
    req.pipe(bb);
  });
}

/** Raw text bodies (CSV, a prompt sent as text/plain) are decoded strictly. */
export async function readTextBody(req: Request, limit: number, what: string): Promise<string> {
  return decodeUtf8(await readRawBody(req, limit), what);
}
