import { z } from 'zod';
import { handleSchema } from '../accounts/account-schemas';
import { challengeSchema } from './challenge';

export const VISIBILITIES = ['only_me', 'approved', 'mutuals', 'everyone'] as const;
export const visibilitySchema = z.enum(VISIBILITIES);

export const enrollmentParamsSchema = z.strictObject({ id: z.string().uuid() });
export const cameoParamsSchema = z.strictObject({ id: z.string().uuid() });
export const approvalParamsSchema = z.strictObject({ id: z.string().uuid(), handle: handleSchema });
export const handleParamsSchema = z.strictObject({ handle: handleSchema });

export const createdEnrollmentSchema = z.object({
  id: z.string().uuid(),
  challenge: challengeSchema,
  expiresAt: z.string(),
});

/** What a check says to the person enrolling: no details, no templates. */
export const checkViewSchema = z.object({
  name: z.string(),
  passed: z.boolean().nullable(),
  decisive: z.boolean(),
  /** null when the check had nothing to measure (e.g. no face was found). */
  score: z.number().nullable(),
  threshold: z.number(),
  message: z.string(),
});
export type CheckView = z.infer<typeof checkViewSchema>;

export const enrollmentViewSchema = z.object({
  id: z.string().uuid(),
  status: z.enum(['pending', 'accepted', 'rejected']),
  recordingReceived: z.boolean(),
  expiresAt: z.string(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  reason: z.string().nullable(),
  reasonCode: z.string().nullable(),
  checks: z.array(checkViewSchema),
  cameoId: z.string().uuid().nullable(),
});
export type EnrollmentView = z.infer<typeof enrollmentViewSchema>;

export const uploadAcceptedSchema = z.object({
  id: z.string().uuid(),
  status: z.literal('pending'),
  poll: z.string(),
});

export const ruleSchema = z.string().trim().min(2).max(200);

export const cameoSettingsSchema = z
  .strictObject({
    visibility: visibilitySchema.optional(),
    paused: z.boolean().optional(),
    rules: z.array(ruleSchema).max(30).optional(),
  })
  .refine((b) => b.visibility !== undefined || b.paused !== undefined || b.rules !== undefined, {
    message: 'name at least one of visibility, paused or rules',
  });

export const cameoViewSchema = z.object({
  id: z.string().uuid(),
  handle: z.string(),
  status: z.enum(['active', 'revoked']),
  visibility: visibilitySchema,
  paused: z.boolean(),
  rules: z.array(z.string()),
  approvedHandles: z.array(z.string()),
  consentedAt: z.string(),
  revokedAt: z.string().nullable(),
  enrollmentId: z.string().uuid(),
});
export type CameoView = z.infer<typeof cameoViewSchema>;

export const receiptViewSchema = z.object({
  cameoId: z.string().uuid(),
  receipt: z.string(),
  kid: z.string(),
  keysUrl: z.string(),
});

export const availabilitySchema = z.object({
  handle: z.string(),
  available: z.boolean(),
  reason: z.string().nullable(),
});

export const followViewSchema = z.object({ handle: z.string(), following: z.boolean(), mutual: z.boolean() });

export const reviewViewSchema = z.object({
  id: z.string().uuid(),
  kind: z.string(),
  enrollmentId: z.string().uuid(),
  accountId: z.string().uuid(),
  matchedCameoId: z.string().uuid(),
  distance: z.number(),
  status: z.string(),
  createdAt: z.string(),
});

export const jwksSchema = z.object({
  keys: z.array(
    z.object({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: z.string(),
      y: z.string(),
      kid: z.string(),
      alg: z.literal('ES256'),
      use: z.literal('sig'),
    }),
  ),
});
