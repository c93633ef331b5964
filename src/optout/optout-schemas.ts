/** Request and response shapes of the opt-out registry's HTTP API. */
import { z } from 'zod';

// C0 controls except tab/newline/carriage return, DEL and C1 controls; U+FFFD is what a decoder
// leaves where the bytes were not UTF-8, so it is refused as broken text rather than stored.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_OR_BROKEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/;

export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A line of registry text: trimmed, well-formed Unicode, no control characters. */
export const registryText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), 'contains broken Unicode (an unpaired surrogate)')
    .refine((s) => !CONTROL_OR_BROKEN.test(s), 'contains a control character or bytes that were not UTF-8');

export const entryKindSchema = z.enum(['character', 'real_person', 'work', 'brand']);
export const entryPolicySchema = z.enum(['block', 'licensed_only']);
export const handleSchema = z.string().trim().min(1).max(64);

export const entryCreateSchema = z.strictObject({
  kind: entryKindSchema,
  canonicalName: registryText(200),
  aliases: z.array(registryText(200)).max(100).default([]),
  descriptions: z.array(registryText(500)).max(50).default([]),
  policy: entryPolicySchema,
  /** Handles of the accounts licensed to use the entry (policy licensed_only). */
  licensees: z.array(handleSchema).max(1000).default([]),
});
export type EntryCreate = z.infer<typeof entryCreateSchema>;

export const entryPatchSchema = z
  .strictObject({
    kind: entryKindSchema.optional(),
    canonicalName: registryText(200).optional(),
    aliases: z.array(registryText(200)).max(100).optional(),
    descriptions: z.array(registryText(500)).max(50).optional(),
    policy: entryPolicySchema.optional(),
    licensees: z.array(handleSchema).max(1000).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'name at least one field to change');
export type EntryPatch = z.infer<typeof entryPatchSchema>;

export const imageViewSchema = z.object({
  id: z.string(),
  mediaType: z.string(),
  width: z.number(),
  height: z.number(),
  faces: z.number(),
  createdAt: z.string(),
});

export const entryViewSchema = z.object({
  id: z.string(),
  kind: entryKindSchema,
  canonicalName: z.string(),
  aliases: z.array(z.string()),
  descriptions: z.array(z.string()),
  policy: entryPolicySchema,
  licensees: z.array(z.string()),
  status: z.enum(['active', 'withdrawn']),
  images: z.array(imageViewSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  withdrawnAt: z.string().nullable(),
});
export type EntryView = z.infer<typeof entryViewSchema>;

export const entryListQuerySchema = z.strictObject({
  status: z.enum(['active', 'withdrawn']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const importQuerySchema = z.strictObject({
  mode: z.enum(['all-or-nothing', 'valid-only']).default('all-or-nothing'),
});

export const rowErrorSchema = z.object({ row: z.number(), field: z.string(), message: z.string() });
export type RowError = z.infer<typeof rowErrorSchema>;

export const importResultSchema = z.object({
  mode: z.enum(['all-or-nothing', 'valid-only']),
  rows: z.number(),
  created: z.number(),
  updated: z.number(),
  rejected: z.number(),
  errors: z.array(rowErrorSchema),
});

export const exportQuerySchema = z.strictObject({
  format: z.enum(['csv', 'json']).default('json'),
  status: z.enum(['active', 'withdrawn']).default('active'),
});

export const imageUploadResultSchema = z.object({
  entry: entryViewSchema,
  image: imageViewSchema,
});

export const statsQuerySchema = z.strictObject({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  bucket: z.enum(['day', 'hour']).default('day'),
  limit: z.coerce.number().int().min(0).max(200).default(20),
});

export const statsViewSchema = z.object({
  from: z.string(),
  to: z.string(),
  bucket: z.enum(['day', 'hour']),
  entries: z.array(
    z.object({
      entryId: z.string(),
      name: z.string(),
      total: z.number(),
      buckets: z.array(z.object({ start: z.string(), count: z.number() })),
    }),
  ),
  recent: z.array(
    z.object({
      id: z.string(),
      entryId: z.string(),
      name: z.string(),
      source: z.string(),
      rule: z.string(),
      prompt: z.string().nullable(),
      at: z.string(),
      /** Present only after an operator released the requester's identity for this block. */
      requesterId: z.string().optional(),
    }),
  ),
});

export const releaseBodySchema = z.strictObject({
  reason: registryText(1000).refine((s) => s.length >= 10, 'give the reason in at least 10 characters'),
});

export const releaseViewSchema = z.object({
  blockId: z.string(),
  entryId: z.string(),
  requesterId: z.string(),
  releasedAt: z.string(),
  releasedBy: z.string(),
});

export const policyCheckJsonSchema = z
  .strictObject({
    prompt: z.string().optional(),
    /** Reference images, base64 (standard or URL-safe alphabet), at most 8. */
    images: z.array(z.string().min(1)).max(8).optional(),
  })
  .refine(
    (b) => b.prompt !== undefined || (b.images?.length ?? 0) > 0,
    'send a prompt, reference images, or both',
  );

export const policyMatchSchema = z.object({
  entryId: z.string(),
  name: z.string(),
  kind: z.string(),
  owner: z.string(),
  rule: z.string(),
  span: z.object({ start: z.number(), end: z.number(), text: z.string() }).optional(),
  message: z.string(),
});

export const policyDecisionSchema = z.object({
  allowed: z.boolean(),
  matches: z.array(policyMatchSchema),
});
