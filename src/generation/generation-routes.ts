import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import { Invalid, UnsupportedMedia } from '../http/errors';
import { idParams } from '../http/route';
import {
  createGenerationSchema,
  generationEventSchema,
  generationViewSchema,
  isTerminal,
  limitsSchema,
  MAX_REFERENCE_IMAGE_BYTES,
  MAX_REFERENCE_IMAGES,
  type CreateGenerationInput,
} from './generation-schemas';
import { toView, type GenerationService } from './generation-service';
import { readMultipart } from './multipart';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SSE_POLL_MS = 400;

function decodeBase64Images(list: string[]): Buffer[] {
  return list.map((s, i) => {
    const clean = s.replace(/^data:[^;]+;base64,/, '').replace(/\s+/g, '');
    if (!BASE64.test(clean))
      throw new Invalid('reference_not_base64', `Reference image ${i + 1} is not base64.`);
    return Buffer.from(clean, 'base64');
  });
}

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export function registerGenerationRoutes(api: ApiRouter, svc: GenerationService): void {
  api.route(
    {
      method: 'post',
      path: '/v1/generations',
      summary:
        'Ask for a clip: prompt, cameos (@handle), reference images (base64 JSON or multipart), duration, aspect, seed',
      tags: ['generations'],
      auth: ['creator'],
      rawBody: {
        contentTypes: ['application/json', 'multipart/form-data'],
        description:
          'JSON: {prompt, cameos?, referenceImages? (base64), durationSec?, aspect?, seed?, visibility?}. Multipart: the same fields as form fields (cameos repeated or comma-separated) and image files in "referenceImages".',
      },
      response: z.object({ id: z.string() }),
      status: 202,
    },
    async ({ req, auth }) => {
      const type = req.headers['content-type'] ?? '';
      let input: CreateGenerationInput;
      let images: Buffer[];
      if (type.startsWith('multipart/form-data')) {
        const form = await readMultipart(req, {
          fileBytes: MAX_REFERENCE_IMAGE_BYTES,
          files: MAX_REFERENCE_IMAGES,
        });
        const one = (k: string) => form.fields[k]?.[0];
        const raw: Record<string, unknown> = {
          prompt: one('prompt'),
          cameos: (form.fields.cameos ?? [])
            .flatMap((v) => v.split(','))
            .map((s) => s.trim())
            .filter(Boolean),
        };
        for (const k of ['durationSec', 'aspect', 'seed', 'visibility'])
          if (one(k) !== undefined) raw[k] = one(k);
        const unknown = Object.keys(form.fields).filter(
          (k) => !['prompt', 'cameos', 'durationSec', 'aspect', 'seed', 'visibility'].includes(k),
        );
        if (unknown.length) throw new Invalid('unknown_fields', `Unknown form field ${unknown.join(', ')}.`);
        input = createGenerationSchema.parse(raw);
        images = form.files.filter((f) => f.field === 'referenceImages').map((f) => f.data);
      } else if (type.startsWith('application/json')) {
        input = createGenerationSchema.parse(req.body ?? {});
        images = decodeBase64Images(input.referenceImages);
      } else {
        throw new UnsupportedMedia(
          'unsupported_content_type',
          'Send application/json or multipart/form-data.',
        );
      }
      return svc.create(auth!, input, images);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/generations',
      summary: 'My generations, newest first',
      tags: ['generations'],
      auth: ['creator'],
      query: listQuery,
      response: z.object({ generations: z.array(generationViewSchema) }),
    },
    async ({ auth, query }) => ({ generations: await svc.listMine(auth!, query.limit) }),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/generations/:id',
      summary:
        'A generation: stage, progress, refusal in plain words (its creator and the owners of its cameos)',
      tags: ['generations'],
      auth: 'any',
      params: idParams,
      response: generationViewSchema,
    },
    ({ auth, params }) => svc.get(auth!, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/generations/:id/events',
      summary: 'Server-sent events: each stage decision and progress, until the generation ends',
      tags: ['generations'],
      auth: 'any',
      params: idParams,
      rawResponse: {
        contentType: 'text/event-stream',
        description:
          'event: decision (a generation event) | progress ({stage, progress}) | end (the final view)',
      },
    },
    async ({ auth, params, req, res }) => {
      await svc.visibleTo(auth!, params.id);
      const lastId = Number(req.header('last-event-id') ?? 0);
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let after = Number.isFinite(lastId) ? lastId : 0;
      let lastProgress = '';
      let closed = false;
      req.on('close', () => (closed = true));
      const send = (event: string, data: unknown, id?: number) => {
        res.write(
          `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
        );
      };
      // Polling the database (not process memory) lets any API instance stream any generation.
      while (!closed) {
        const row = await svc.snapshot(params.id);
        for (const e of await svc.events(params.id, after)) {
          send('decision', generationEventSchema.parse(e), e.id);
          after = e.id;
        }
        if (!row) break;
        const p = `${row.stage}:${Number(row.progress).toFixed(2)}`;
        if (p !== lastProgress) {
          lastProgress = p;
          send('progress', { stage: row.stage, progress: Math.round(Number(row.progress) * 1000) / 1000 });
        }
        if (isTerminal(row.stage)) {
          send('end', generationViewSchema.parse(toView(row)));
          break;
        }
        await new Promise((r) => setTimeout(r, SSE_POLL_MS));
      }
      res.end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/generations/:id/output',
      summary: 'The finished clip (only once every stage passed)',
      tags: ['generations'],
      auth: 'any',
      params: idParams,
      rawResponse: { contentType: 'video/mp4', description: 'The stamped clip' },
    },
    async ({ auth, params, res }) => {
      const out = await svc.openOutput(auth!, params.id);
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': String(out.bytes),
        'content-disposition': `attachment; filename="consentry-${params.id}.mp4"`,
        etag: `"${out.sha256}"`,
        'cache-control': 'private, no-store',
      });
      await new Promise<void>((resolve, reject) => {
        out.stream.on('error', reject);
        res.on('finish', resolve);
        res.on('close', resolve);
        out.stream.pipe(res);
      });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/v1/generations/:id/output',
      summary: 'Delete the clip (its creator or an owner of a cameo in it); the ledger marks it taken down',
      tags: ['generations'],
      auth: 'any',
      params: idParams,
      response: generationViewSchema,
    },
    ({ auth, params }) => svc.deleteOutput(auth!, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos/:cameoId/generations',
      summary: 'Every generation that used my cameo, drafts and refused attempts included',
      tags: ['generations', 'cameos'],
      auth: ['cameo_owner'],
      params: z.strictObject({ cameoId: z.string().min(1).max(128) }),
      query: listQuery,
      response: z.object({ generations: z.array(generationViewSchema) }),
    },
    async ({ auth, params, query }) => ({
      generations: await svc.listForCameo(auth!, params.cameoId, query.limit),
    }),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/operator/queue',
      summary: 'Job counts per state, oldest waiting job, recent failures, generations per stage',
      tags: ['operator'],
      auth: ['operator'],
      response: z.object({
        queue: z.object({
          counts: z.record(z.string(), z.number()),
          oldestWaiting: z.unknown(),
          recentFailures: z.array(z.unknown()),
        }),
        generationsByStage: z.record(z.string(), z.number()),
      }),
    },
    () => svc.queueView(),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/operator/generations/:id/retry',
      summary: 'Retry a failed generation',
      tags: ['operator'],
      auth: ['operator'],
      params: idParams,
      response: generationViewSchema,
    },
    ({ auth, params }) => svc.retry(auth!.accountId, params.id),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/operator/generations/:id/cancel',
      summary: 'Cancel a queued or running generation (it ends as failed, with no output)',
      tags: ['operator'],
      auth: ['operator'],
      params: idParams,
      response: generationViewSchema,
    },
    ({ auth, params }) =>
      svc.cancel(params.id, {
        actorId: auth!.accountId,
        outcome: 'failed',
        rule: 'operator_cancelled',
        message: 'An operator cancelled this generation.',
      }),
  );

  api.route(
    {
      method: 'put',
      path: '/v1/operator/generation-limits',
      summary: 'Set the default per-creator rate limit, daily quota and in-progress cap',
      tags: ['operator'],
      auth: ['operator'],
      body: limitsSchema,
      response: limitsSchema,
    },
    ({ auth, body }) => svc.setLimits(auth!.accountId, null, body),
  );

  api.route(
    {
      method: 'put',
      path: '/v1/operator/generation-limits/:accountId',
      summary: "Set one creator's rate limit, daily quota and in-progress cap",
      tags: ['operator'],
      auth: ['operator'],
      params: z.strictObject({ accountId: z.string().uuid() }),
      body: limitsSchema,
      response: limitsSchema,
    },
    ({ auth, params, body }) => svc.setLimits(auth!.accountId, params.accountId, body),
  );
}
