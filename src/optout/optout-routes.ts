/** HTTP for the opt-out registry: parse, call the services, shape the answer. */
import type { Request } from 'express';
import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import { Invalid, UnsupportedMedia } from '../http/errors';
import { idParams } from '../http/route';
import type { EntryService } from './entry-service';
import {
  decodeUtf8,
  exportCsv,
  parseCsvRows,
  parseJsonRows,
  parseJsonText,
  toExportEntry,
  type ParsedRow,
} from './import-rows';
import {
  entryCreateSchema,
  entryListQuerySchema,
  entryPatchSchema,
  entryViewSchema,
  exportQuerySchema,
  imageUploadResultSchema,
  importQuerySchema,
  importResultSchema,
  policyCheckJsonSchema,
  policyDecisionSchema,
  releaseBodySchema,
  releaseViewSchema,
  statsQuerySchema,
  statsViewSchema,
} from './optout-schemas';
import { MAX_IMAGES_PER_CHECK, validatePromptText } from './policy-service';
import type { StatsService } from './stats-service';
import type { OptoutService, PolicyDecision } from './types';
import { readMultipart, readRawBody, readTextBody } from './upload';

export const IMAGE_UPLOAD_LIMIT = 20 * 1024 * 1024;
export const IMPORT_LIMIT = 20 * 1024 * 1024;
const IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
  'application/octet-stream',
];

const tags = ['optout'];

function contentType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function decodeBase64Image(s: string, i: number): Buffer {
  const body = s.replace(/^data:[^,;]+;base64,/, '').replace(/\s+/g, '');
  if (!BASE64.test(body)) throw new Invalid('image_base64', `images[${i}] is not base64 text.`);
  const bytes = Buffer.from(body, body.includes('-') || body.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) throw new Invalid('image_base64', `images[${i}] is empty.`);
  return bytes;
}

function combine(a: PolicyDecision | null, b: PolicyDecision | null): PolicyDecision {
  const matches = [...(a?.matches ?? []), ...(b?.matches ?? [])];
  return { allowed: matches.length === 0, matches };
}

export function registerOptoutRoutes(
  api: ApiRouter,
  deps: {
    entries: EntryService;
    stats: StatsService;
    policy: OptoutService;
    rateLimit: (accountId: string) => Promise<void>;
  },
): void {
  const { entries, stats, policy } = deps;

  api.route(
    {
      method: 'post',
      path: '/v1/optout/entries',
      summary: 'Register a protected entry (rightsholders)',
      tags,
      auth: ['rightsholder'],
      body: entryCreateSchema,
      response: entryViewSchema,
      status: 201,
    },
    ({ auth, body }) => entries.create(auth!, body),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/optout/entries',
      summary: "The signed-in rightsholder's entries",
      tags,
      auth: ['rightsholder'],
      query: entryListQuerySchema,
      response: z.object({ entries: z.array(entryViewSchema) }),
    },
    async ({ auth, query }) => ({ entries: await entries.list(auth!, query) }),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/optout/entries/:id',
      summary: 'One of your entries',
      tags,
      auth: ['rightsholder'],
      params: idParams,
      response: entryViewSchema,
    },
    ({ auth, params }) => entries.get(auth!, params.id),
  );

  api.route(
    {
      method: 'patch',
      path: '/v1/optout/entries/:id',
      summary: 'Change names, descriptions, policy or licensees of one of your entries',
      tags,
      auth: ['rightsholder'],
      params: idParams,
      body: entryPatchSchema,
      response: entryViewSchema,
    },
    ({ auth, params, body }) => entries.update(auth!, params.id, body),
  );

  api.route(
    {
      method: 'delete',
      path: '/v1/optout/entries/:id',
      summary: 'Withdraw one of your entries (it stops being enforced within seconds; the record stays)',
      tags,
      auth: ['rightsholder'],
      params: idParams,
      response: entryViewSchema,
    },
    ({ auth, params }) => entries.withdraw(auth!, params.id),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/optout/entries/:id/images',
      summary: 'Add a reference image (raw image body, or multipart with one file)',
      tags,
      auth: ['rightsholder'],
      params: idParams,
      rawBody: {
        contentTypes: [...IMAGE_TYPES, 'multipart/form-data'],
        description: 'A JPEG, PNG, WebP, GIF, AVIF or TIFF image',
      },
      response: imageUploadResultSchema,
      status: 201,
    },
    async ({ auth, params, req }) => {
      const type = contentType(req);
      let bytes: Buffer;
      if (type === 'multipart/form-data') {
        const form = await readMultipart(req, {
          fileBytes: IMAGE_UPLOAD_LIMIT,
          files: 1,
          totalBytes: IMAGE_UPLOAD_LIMIT,
        });
        if (form.files.length !== 1) throw new Invalid('image_missing', 'Attach exactly one image file.');
        bytes = form.files[0].data;
      } else if (IMAGE_TYPES.includes(type)) {
        bytes = await readRawBody(req, IMAGE_UPLOAD_LIMIT);
      } else {
        throw new UnsupportedMedia(
          'unsupported_content_type',
          `Send the image as its own body (image/jpeg, image/png...) or as multipart/form-data, not ${type || 'no content type'}.`,
        );
      }
      if (bytes.length === 0) throw new Invalid('image_missing', 'The image is empty.');
      return entries.addImage(auth!, params.id, bytes);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/optout/import',
      summary:
        'Import entries from CSV or JSON. All or nothing by default: one broken row stores nothing and the answer lists every broken row; ?mode=valid-only stores the valid rows.',
      tags,
      auth: ['rightsholder'],
      query: importQuerySchema,
      rawBody: {
        contentTypes: ['text/csv', 'application/json', 'multipart/form-data'],
        description:
          'A CSV file (columns id, kind, canonical_name, aliases, descriptions, policy, licensees; lists joined with |), a JSON array, or either as the file of a multipart form',
      },
      response: importResultSchema,
    },
    async ({ auth, query, req }) => {
      const type = contentType(req);
      let rows: ParsedRow[];
      if (type === 'text/csv') {
        rows = parseCsvRows(await readTextBody(req, IMPORT_LIMIT, 'CSV file'));
      } else if (type === 'application/json') {
        rows = parseJsonRows(req.body);
      } else if (type === 'multipart/form-data') {
        const form = await readMultipart(req, {
          fileBytes: IMPORT_LIMIT,
          files: 1,
          totalBytes: IMPORT_LIMIT,
        });
        const file = form.files[0];
        if (!file) throw new Invalid('import_file_missing', 'Attach the CSV or JSON file to import.');
        const isJson = file.mimeType === 'application/json' || /\.json$/i.test(file.filename);
        const text = decodeUtf8(file.data, isJson ? 'JSON file' : 'CSV file');
        rows = isJson ? parseJsonText(text) : parseCsvRows(text);
      } else {
        throw new UnsupportedMedia(
          'unsupported_content_type',
          'Send text/csv, application/json, or a multipart form with the file.',
        );
      }
      return entries.importRows(auth!, rows, query.mode);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/optout/export',
      summary: 'Export your entries as CSV or JSON (the same columns import reads)',
      tags,
      auth: ['rightsholder'],
      query: exportQuerySchema,
      rawResponse: { contentType: 'text/csv or application/json', description: 'The entries' },
    },
    async ({ auth, query, res }) => {
      const list = (await entries.exportAll(auth!, query.status)).map(toExportEntry);
      const stamp = new Date().toISOString().slice(0, 10);
      res.setHeader('content-disposition', `attachment; filename="optout-entries-${stamp}.${query.format}"`);
      if (query.format === 'csv') {
        res.type('text/csv; charset=utf-8').send(exportCsv(list));
      } else {
        res.type('application/json; charset=utf-8').send(JSON.stringify({ entries: list }));
      }
    },
  );

  api.route(
    {
      method: 'get',
      path: '/v1/optout/stats',
      summary:
        'What your entries blocked: counts per entry over time and recent prompts (never who asked, unless an operator released it)',
      tags,
      auth: ['rightsholder'],
      query: statsQuerySchema,
      response: statsViewSchema,
    },
    ({ auth, query }) => stats.stats(auth!, query),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/optout/blocks/:id/release',
      summary: 'Reveal which account one block refused (operators; audited with the reason)',
      tags,
      auth: ['operator'],
      params: idParams,
      body: releaseBodySchema,
      response: releaseViewSchema,
    },
    ({ auth, params, body }) => stats.release(auth!, params.id, body.reason),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/policy/check',
      summary:
        'Would this prompt and these reference images be allowed? (JSON with base64 images, or multipart)',
      tags: ['policy'],
      auth: 'any',
      rawBody: {
        contentTypes: ['application/json', 'multipart/form-data'],
        description: '{ prompt, images: [base64] } or a form with a prompt field and image files',
      },
      response: policyDecisionSchema,
    },
    async ({ auth, req }) => {
      await deps.rateLimit(auth!.accountId);
      const type = contentType(req);
      let prompt: string | undefined;
      let images: Buffer[];
      if (type === 'application/json') {
        const body = policyCheckJsonSchema.parse(req.body ?? {});
        prompt = body.prompt;
        images = (body.images ?? []).map(decodeBase64Image);
      } else if (type === 'multipart/form-data') {
        const form = await readMultipart(req, {
          fileBytes: IMAGE_UPLOAD_LIMIT,
          files: MAX_IMAGES_PER_CHECK,
          totalBytes: 4 * IMAGE_UPLOAD_LIMIT,
        });
        const unknown = Object.keys(form.fields).filter((k) => k !== 'prompt');
        if (unknown.length)
          throw new Invalid(
            'invalid_request',
            `Unknown form field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`,
          );
        prompt = form.fields.prompt;
        images = form.files.map((f) => f.data);
        if (prompt === undefined && images.length === 0)
          throw new Invalid('invalid_request', 'Send a prompt, reference images, or both.');
      } else {
        throw new UnsupportedMedia(
          'unsupported_content_type',
          'Send application/json or multipart/form-data.',
        );
      }
      if (prompt !== undefined) validatePromptText(prompt);
      const ctx = { requesterId: auth!.accountId, source: 'check' as const };
      // Images first: a broken image is a 4xx before any block is recorded for the prompt.
      const imageDecision = images.length ? await policy.checkReferenceImages(images, ctx) : null;
      const promptDecision = prompt !== undefined ? await policy.checkPrompt(prompt, ctx) : null;
      return combine(promptDecision, imageDecision);
    },
  );
}
