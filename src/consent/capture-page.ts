import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import { NotFound } from '../http/errors';

/** The capture page's files, found from the source tree or the build (dist/src/consent). */
function captureDir(): string {
  const candidates = [
    path.resolve(__dirname, '../../public/capture'),
    path.resolve(__dirname, '../../../public/capture'),
  ];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? candidates[0]!;
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'capture.js': 'text/javascript; charset=utf-8',
  'capture.css': 'text/css; charset=utf-8',
};

/**
 * Serves the enrollment capture page. It only holds static files; the page talks to the API with
 * the bearer token it gets from sign-in, so it needs no session of its own.
 */
export function registerCapturePage(api: ApiRouter): void {
  const dir = captureDir();
  const send = (res: import('express').Response, name: string) => {
    const type = FILES[name];
    if (!type) throw new NotFound('route_not_found', 'There is no such route.');
    res.setHeader('content-type', type);
    res.setHeader('cache-control', 'no-cache');
    // The page needs the camera and microphone of its own origin and nothing from elsewhere.
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
    );
    res.setHeader('permissions-policy', 'camera=(self), microphone=(self)');
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(fs.readFileSync(path.join(dir, name)));
  };

  api.route(
    {
      method: 'get',
      path: '/capture',
      summary: 'The cameo enrollment capture page (camera and microphone in the browser)',
      tags: ['cameos'],
      auth: null,
      rawResponse: { contentType: 'text/html', description: 'The capture page.' },
    },
    async ({ res }) => send(res, 'index.html'),
  );

  api.route(
    {
      method: 'get',
      path: '/capture/:file',
      summary: 'Scripts and styles of the capture page',
      tags: ['cameos'],
      auth: null,
      params: z.strictObject({ file: z.string().regex(/^[a-z]+\.(js|css|html)$/) }),
      rawResponse: { contentType: 'text/javascript', description: 'A static file of the capture page.' },
    },
    async ({ res, params }) => send(res, params.file),
  );
}
