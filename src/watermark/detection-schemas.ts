/**
 * What a detection worker may send back, checked before the main thread trusts it: a worker that
 * answers nonsense is treated like one that crashed.
 */
import { z } from 'zod';
import { CODED_BITS } from './ecc';

const hex64 = z.string().regex(/^[0-9a-f]{16}$/);

export function candidatesSchema<S extends 'picture' | 'sound'>(source: S) {
  return z.array(z.object({ payloadHex: hex64, log10PerIssued: z.number(), source: z.literal(source) }));
}

export function evidenceSchema<S extends 'picture' | 'sound'>(source: S) {
  return z.array(
    z.object({
      source: z.literal(source),
      soft: z.array(z.number()).length(CODED_BITS),
      payloadEnergy: z.number().min(0),
      syncSum: z.number(),
      syncEnergy: z.number().min(0),
      log10Charge: z.number().min(0),
    }),
  );
}

/** The fields every detection reports, picture or sound. */
export const detectionBaseSchema = z.object({
  detected: z.boolean(),
  payloadHex: hex64.nullable(),
  crcOk: z.boolean(),
  pValue: z.number().min(0).max(1),
  score: z.number(),
  reason: z.string().optional(),
  rawPayloadHex: z.string().optional(),
  payloadCrcRate: z.number().min(0).max(1).optional(),
});

/** A worker's reply: its result (a detection, or marked sound), or the message of the error it threw. */
export function replySchema<T extends z.ZodTypeAny>(result: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result }),
    z.object({ ok: z.literal(false), message: z.string() }),
  ]);
}
