import { z } from 'zod';

export const STAGES = [
  'queued',
  'policy',
  'consent',
  'rendering',
  'scanning',
  'stamping',
  'done',
  'refused',
  'failed',
] as const;
export type Stage = (typeof STAGES)[number];
export const TERMINAL_STAGES: readonly Stage[] = ['done', 'refused', 'failed'];
export const isTerminal = (s: string): boolean => (TERMINAL_STAGES as readonly string[]).includes(s);

export const MAX_DURATION_SEC = 10;
export const MAX_CAMEOS = 4;
export const MAX_REFERENCE_IMAGES = 4;
export const MAX_REFERENCE_IMAGE_BYTES = 10 * 1024 * 1024;

const handle = z
  .string()
  .transform((s) => s.replace(/^@/, ''))
  .pipe(z.string().regex(/^[a-zA-Z0-9_]{3,30}$/, 'a cameo handle is 3 to 30 letters, digits or underscores'));

/** The fields of a generation request, from JSON or from multipart form fields. */
export const createGenerationSchema = z.strictObject({
  prompt: z.string().trim().min(1, 'the prompt is empty').max(2000),
  cameos: z.array(handle).max(MAX_CAMEOS).default([]),
  referenceImages: z.array(z.string().min(1)).max(MAX_REFERENCE_IMAGES).default([]),
  durationSec: z.coerce
    .number()
    .positive()
    .max(MAX_DURATION_SEC, `a clip lasts at most ${MAX_DURATION_SEC} seconds`)
    .default(MAX_DURATION_SEC),
  aspect: z.enum(['16:9', '9:16', '1:1']).default('16:9'),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  visibility: z.enum(['draft', 'published']).default('draft'),
});
export type CreateGenerationInput = z.infer<typeof createGenerationSchema>;

export const refusalSchema = z.object({
  stage: z.string(),
  rule: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Refusal = z.infer<typeof refusalSchema>;

export const generationViewSchema = z.object({
  id: z.string(),
  requesterId: z.string(),
  prompt: z.string(),
  cameos: z.array(z.string()),
  durationSec: z.number(),
  aspect: z.string(),
  width: z.number(),
  height: z.number(),
  seed: z.number(),
  visibility: z.string(),
  stage: z.enum(STAGES),
  progress: z.number(),
  refusal: refusalSchema.nullable(),
  failure: z.string().nullable(),
  model: z.object({ name: z.string(), version: z.string() }).nullable(),
  output: z
    .object({ url: z.string(), sha256: z.string(), bytes: z.number(), ledgerPayload: z.string().nullable() })
    .nullable(),
  takenDownAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type GenerationView = z.infer<typeof generationViewSchema>;

export const generationEventSchema = z.object({
  id: z.number(),
  at: z.string(),
  stage: z.string(),
  decision: z.string(),
  progress: z.number(),
  message: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type GenerationEvent = z.infer<typeof generationEventSchema>;

export const limitsSchema = z.strictObject({
  perMinute: z.number().int().min(1).max(100000),
  perDay: z.number().int().min(1).max(1000000),
  maxActive: z.number().int().min(1).max(10000),
});
export type GenerationLimits = z.infer<typeof limitsSchema>;
