import { z } from 'zod';
import type { ApiRouter } from '../http/api-router';
import type { CameoService } from './cameo-service';
import {
  approvalParamsSchema,
  availabilitySchema,
  cameoParamsSchema,
  cameoSettingsSchema,
  cameoViewSchema,
  createdEnrollmentSchema,
  enrollmentParamsSchema,
  enrollmentViewSchema,
  followViewSchema,
  handleParamsSchema,
  jwksSchema,
  receiptViewSchema,
  reviewViewSchema,
  uploadAcceptedSchema,
} from './consent-schemas';
import type { EnrollmentService } from './enrollment-service';
import type { ReceiptKeys } from './receipt';
import { MAX_RECORDING_BYTES, MAX_RECORDING_SECONDS } from './analysis/limits';

export const RECEIPT_KEYS_PATH = '/.well-known/consentry-receipt-keys.json';

export function registerConsentRoutes(
  api: ApiRouter,
  s: { enrollments: EnrollmentService; cameos: CameoService; receiptKeys: ReceiptKeys },
): void {
  const { enrollments, cameos, receiptKeys } = s;
  const tags = ['cameos'];

  api.route(
    {
      method: 'post',
      path: '/v1/cameos/enrollments',
      summary: 'Start an enrollment: a fresh liveness challenge, valid 5 minutes, for one recording',
      tags,
      auth: ['cameo_owner'],
      response: createdEnrollmentSchema,
      status: 201,
    },
    ({ auth }) => enrollments.create(auth!),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/cameos/enrollments/:id/recording',
      summary: `Upload the enrollment recording (MP4 or WebM with sound, at most ${MAX_RECORDING_SECONDS} s and ${MAX_RECORDING_BYTES / 1048576} MB); analysed in the background`,
      tags,
      auth: ['cameo_owner'],
      params: enrollmentParamsSchema,
      rawBody: {
        contentTypes: ['video/mp4', 'video/webm'],
        description: 'The recording bytes as the request body.',
      },
      response: uploadAcceptedSchema,
      status: 202,
    },
    ({ auth, params, req }) => enrollments.upload(auth!, params.id, req),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos/enrollments/:id',
      summary: 'The state of an enrollment: pending, accepted or rejected, with every check',
      tags,
      auth: ['cameo_owner'],
      params: enrollmentParamsSchema,
      response: enrollmentViewSchema,
    },
    ({ auth, params }) => enrollments.get(auth!, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos',
      summary: 'My cameos (active and revoked)',
      tags,
      auth: 'any',
      response: z.object({ cameos: z.array(cameoViewSchema) }),
    },
    async ({ auth }) => ({ cameos: await cameos.list(auth!) }),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos/by-handle/:handle',
      summary: "Whether I may put this handle's cameo in a clip (nothing else about it)",
      tags,
      auth: 'any',
      params: handleParamsSchema,
      response: availabilitySchema,
    },
    ({ auth, params }) => cameos.availability(auth!.accountId, params.handle),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos/:id',
      summary: 'One of my cameos',
      tags,
      auth: 'any',
      params: cameoParamsSchema,
      response: cameoViewSchema,
    },
    ({ auth, params }) => cameos.get(auth!, params.id),
  );

  api.route(
    {
      method: 'patch',
      path: '/v1/cameos/:id',
      summary: 'Who may use my cameo (visibility), the pause switch, and my written rules',
      tags,
      auth: 'any',
      params: cameoParamsSchema,
      body: cameoSettingsSchema,
      response: cameoViewSchema,
    },
    ({ auth, params, body }) => cameos.update(auth!, params.id, body),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/cameos/:id/approvals/:handle',
      summary: 'Approve a person to use my cameo',
      tags,
      auth: 'any',
      params: approvalParamsSchema,
      response: cameoViewSchema,
    },
    ({ auth, params }) => cameos.setApproval(auth!, params.id, params.handle, true),
  );

  api.route(
    {
      method: 'delete',
      path: '/v1/cameos/:id/approvals/:handle',
      summary: 'Remove a person’s approval',
      tags,
      auth: 'any',
      params: approvalParamsSchema,
      response: cameoViewSchema,
    },
    ({ auth, params }) => cameos.setApproval(auth!, params.id, params.handle, false),
  );

  api.route(
    {
      method: 'post',
      path: '/v1/cameos/:id/revoke',
      summary:
        'Revoke my cameo: templates, reference image and their key are destroyed; generations using it stop',
      tags,
      auth: 'any',
      params: cameoParamsSchema,
      response: cameoViewSchema,
    },
    ({ auth, params }) => cameos.revoke(auth!, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/cameos/:id/receipt',
      summary: 'My signed consent receipt (JWS, ES256), verifiable with ' + RECEIPT_KEYS_PATH,
      tags,
      auth: 'any',
      params: cameoParamsSchema,
      response: receiptViewSchema,
    },
    async ({ auth, params }) => ({
      ...(await cameos.receipt(auth!, params.id)),
      kid: receiptKeys.kid,
      keysUrl: RECEIPT_KEYS_PATH,
    }),
  );

  api.route(
    {
      method: 'get',
      path: RECEIPT_KEYS_PATH,
      summary: 'The public keys that verify consent receipts (JWKS)',
      tags,
      auth: null,
      response: jwksSchema,
    },
    async ({ res }) => {
      res.setHeader('cache-control', 'public, max-age=300');
      return receiptKeys.jwks();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/follows/:handle',
      summary: 'Follow someone (mutual follows may use each other’s cameos when they allow it)',
      tags: ['follows'],
      auth: 'any',
      params: handleParamsSchema,
      response: followViewSchema,
    },
    ({ auth, params }) => cameos.follow(auth!, params.handle, true),
  );

  api.route(
    {
      method: 'delete',
      path: '/v1/follows/:handle',
      summary: 'Stop following someone',
      tags: ['follows'],
      auth: 'any',
      params: handleParamsSchema,
      response: followViewSchema,
    },
    ({ auth, params }) => cameos.follow(auth!, params.handle, false),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/consent/reviews',
      summary: 'Enrollments refused because the face is another account’s cameo (operators)',
      tags: ['cameos'],
      auth: ['operator'],
      query: z.strictObject({
        status: z.enum(['open', 'closed']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ reviews: z.array(reviewViewSchema) }),
    },
    async ({ query }) => ({ reviews: await cameos.reviews(query) }),
  );
}
