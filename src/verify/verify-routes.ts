import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import { errorBody } from '../http/error-handler';
import { AppError, NotFound } from '../http/errors';
import { receiveUpload } from './upload';
import type { ProgressFn, VerifyService } from './verify-service';
import {
  recoveredManifestSchema,
  verifyReportSchema,
  verifyStreamLineSchema,
  type VerifyReport,
} from './verify-schemas';

export const PUBLIC_DIR = path.resolve(__dirname, '../../public/verify');
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export interface VerifyRouteDeps {
  service: VerifyService;
  rateLimit(clientKey: string): Promise<void>;
  tmpDir: string;
  uploadLimitBytes: number;
  logger: { error(o: unknown, m?: string): void };
}

export function registerVerifyRoutes(api: ApiRouter, deps: VerifyRouteDeps): void {
  api.route(
    {
      method: 'post',
      path: '/v1/verify',
      summary:
        'Verify whether a clip, image or sound was generated here, with the evidence of each signal (public, rate limited). ' +
        'With ?progress=ndjson the answer, once the upload is admitted, is application/x-ndjson: progress lines, then one ' +
        '"result" line with the same report, or one "error" line with the status the error would have had. ' +
        'By default the watermark looks once after 3 s and a settled clip is not read further; ?scope=whole reads the ' +
        'whole clip (every timeline segment, the sound) and computes the fingerprint too.',
      tags: ['verify'],
      auth: null,
      query: z.strictObject({
        progress: z.literal('ndjson').optional(),
        scope: z.enum(['quick', 'whole']).optional(),
      }),
      rawBody: {
        contentTypes: ['multipart/form-data'],
        description:
          'One file in the field "file": MP4, MOV, WebM, MKV, JPEG, PNG, WebP, AAC, M4A, MP3 or WAV.',
      },
      response: verifyReportSchema,
    },
    async ({ req, res, query, requestId }) => {
      try {
        await deps.rateLimit(req.ip ?? req.socket.remoteAddress ?? 'unknown');
      } catch (e) {
        const retry = e instanceof AppError ? Number(e.details?.retryAfterSeconds ?? 60) : 60;
        res.setHeader('retry-after', String(retry));
        // Read and discard the body so the client can finish sending and read the answer.
        req.resume();
        throw e;
      }
      await fs.promises.mkdir(deps.tmpDir, { recursive: true });
      const dir = await fs.promises.mkdtemp(path.join(deps.tmpDir, 'req-'));
      try {
        const up = await receiveUpload(req, dir, deps.uploadLimitBytes);
        const meta = { name: up.filename, sha256: up.sha256, whole: query?.scope === 'whole' };
        if (!query?.progress) return await deps.service.verifyFile(up.path, meta);
        await streamVerification(res, requestId, deps, (onProgress) =>
          deps.service.verifyFile(up.path, meta, onProgress),
        );
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
        // A streamed answer ends only after the upload is gone, so nothing outlives the request.
        if (query?.progress && res.headersSent && !res.writableEnded) res.end();
      }
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/ledger/:payloadHex/manifest',
      summary:
        'The original Content Credentials of a generated clip, by its watermark payload (public; says whether it was taken down)',
      tags: ['verify'],
      auth: null,
      params: z.strictObject({
        payloadHex: z.string().regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hexadecimal characters'),
      }),
      response: recoveredManifestSchema,
    },
    async ({ params }) => {
      const r = await deps.service.manifestFor(params.payloadHex.toLowerCase());
      if (!r)
        throw new NotFound(
          'ledger_entry_not_found',
          'No clip generated here carries that watermark payload.',
        );
      return r;
    },
  );

  const sendFile = async (res: import('express').Response, file: string, type: string) => {
    const body = await fs.promises.readFile(path.join(PUBLIC_DIR, file));
    res.setHeader('content-type', type);
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
    );
    res.status(200).send(body);
  };

  api.route(
    {
      method: 'get',
      path: '/verify',
      summary: 'The verification web page',
      tags: ['verify'],
      auth: null,
      rawResponse: {
        contentType: 'text/html',
        description: 'An HTML page to upload a file and read its verdict',
      },
    },
    ({ res }) => sendFile(res, 'index.html', 'text/html; charset=utf-8'),
  );

  api.route(
    {
      method: 'get',
      path: '/verify/:asset',
      summary: 'Script and style of the verification page',
      tags: ['verify'],
      auth: null,
      params: z.strictObject({ asset: z.string() }),
      rawResponse: { contentType: 'text/javascript', description: 'A static asset' },
    },
    async ({ params, res }) => {
      const type = ASSETS[params.asset];
      if (!type) throw new NotFound('asset_not_found', 'There is no such file.');
      await sendFile(res, params.asset, type);
    },
  );
}

/**
 * Runs a verification and streams its progress as NDJSON (the caller ends the response). The
 * status line waits for the analysis to start, so what fails admission (format, size, duration)
 * still answers with its own 4xx; a later error becomes an "error" line carrying the status it
 * would have had.
 */
async function streamVerification(
  res: import('express').Response,
  requestId: string,
  deps: Pick<VerifyRouteDeps, 'logger'>,
  run: (onProgress: ProgressFn) => Promise<VerifyReport>,
): Promise<void> {
  const line = (l: z.infer<typeof verifyStreamLineSchema>) =>
    res.write(`${JSON.stringify(verifyStreamLineSchema.parse(l))}\n`);
  const open = () => {
    if (res.headersSent) return;
    res.status(200);
    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.flushHeaders();
  };
  try {
    const report = await run((stage, fraction) => {
      if (stage === 'probing') return;
      open();
      line({ type: 'progress', stage, fraction });
    });
    open();
    line({ type: 'result', report });
  } catch (e) {
    if (!res.headersSent) throw e;
    const { status, body } = errorBody(e, requestId, deps.logger);
    line({ type: 'error', status, error: body.error });
  }
}
