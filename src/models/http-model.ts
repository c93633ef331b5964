import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { clipMismatch, probeClip } from './probe';
import {
  ModelOutputRejected,
  type RenderOptions,
  type RenderRequest,
  type RenderResult,
  type VideoModel,
} from './types';

export interface HttpModelOptions {
  url: string;
  token?: string;
  timeoutMs: number;
  /** Responses larger than this are cut off and refused. */
  maxBytes?: number;
  name?: string;
  version?: string;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 200 * 1024 * 1024;

/** What the adapter posts to `<url>/render`; the server answers with the MP4 bytes. */
export const httpRenderRequestSchema = z.strictObject({
  prompt: z.string(),
  durationSec: z.number().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  seed: z.number().int(),
  cameos: z.array(
    z.strictObject({ ref: z.string(), referenceImageJpegBase64: z.string(), rules: z.array(z.string()) }),
  ),
  referenceImagesBase64: z.array(z.string()),
});
export type HttpRenderRequest = z.infer<typeof httpRenderRequestSchema>;

/**
 * An external model server behind the same interface. Every answer is distrusted: it must
 * arrive within the timeout, stay under the size limit, and be an MP4 with H.264 video of the
 * requested size and length (checked with ffprobe) before the pipeline sees it.
 */
export function createHttpModel(o: HttpModelOptions): VideoModel {
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const endpoint = new URL('render', o.url.endsWith('/') ? o.url : `${o.url}/`).toString();
  return {
    name: o.name ?? `http:${new URL(o.url).host}`,
    version: o.version ?? '1',
    async render(req: RenderRequest, opts: RenderOptions): Promise<RenderResult> {
      const body: HttpRenderRequest = {
        prompt: req.prompt,
        durationSec: req.durationSec,
        width: req.width,
        height: req.height,
        seed: req.seed,
        cameos: req.cameos.map((c) => ({
          ref: c.cameoId,
          referenceImageJpegBase64: c.referenceImageJpeg.toString('base64'),
          rules: c.rules ?? [],
        })),
        referenceImagesBase64: req.referenceImages.map((b) => b.toString('base64')),
      };
      const timeout = AbortSignal.timeout(o.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'video/mp4' };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let res: Response;
      try {
        res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal });
      } catch (e) {
        throw (
          timedOut(timeout, o.timeoutMs) ??
          new Error(`The model server could not be reached: ${(e as Error).message}`)
        );
      }
      if (res.status === 401 || res.status === 403) {
        throw new ModelOutputRejected(`The model server refused our credentials (HTTP ${res.status}).`);
      }
      if (res.status >= 400 && res.status < 500) {
        throw new ModelOutputRejected(`The model server rejected the request (HTTP ${res.status}).`);
      }
      if (!res.ok) throw new Error(`The model server failed (HTTP ${res.status}).`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw new ModelOutputRejected(
          `The model's clip is ${declared} bytes, over the ${maxBytes}-byte limit.`,
        );
      }
      const out = path.join(opts.workDir, 'model-output.mp4');
      await fs.promises.mkdir(opts.workDir, { recursive: true });
      const fh = await fs.promises.open(out, 'w');
      let received = 0;
      try {
        if (!res.body) throw new ModelOutputRejected('The model server sent no body.');
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          received += chunk.length;
          if (received > maxBytes)
            throw new ModelOutputRejected(`The model's clip is over the ${maxBytes}-byte limit.`);
          await fh.write(chunk);
          if (declared > 0) opts.onProgress?.(Math.min(0.99, received / declared));
        }
      } catch (e) {
        if (e instanceof ModelOutputRejected) throw e;
        throw timedOut(timeout, o.timeoutMs) ?? e;
      } finally {
        await fh.close();
      }
      let mismatch: string | null;
      try {
        mismatch = clipMismatch(await probeClip(out), req);
      } catch {
        mismatch = 'the response is not a readable video';
      }
      if (mismatch) throw new ModelOutputRejected(`The model's clip was refused: ${mismatch}.`);
      opts.onProgress?.(1);
      return { path: out, mimeType: 'video/mp4' };
    },
  };
}

function timedOut(timeout: AbortSignal, ms: number): Error | null {
  return timeout.aborted ? new Error(`The model server did not answer within ${ms} ms.`) : null;
}
