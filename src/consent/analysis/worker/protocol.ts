import { z } from 'zod';
import { challengeSchema } from '../../challenge';
import { fingerprintSchema } from '../fingerprint';
import { CHECK_NAMES } from '../types';

/**
 * Messages between the analysis host (the API or job process) and its worker thread. Both sides
 * parse what they receive: the worker runs untrusted media through native decoders and models, so
 * the host treats its answers as input like any other.
 *
 * Typed arrays are checked by tag, not instanceof: structured clone builds them in the receiving
 * thread's main realm, and under jest the test code runs in another realm whose Float32Array is a
 * different constructor.
 */
const tagged = <T>(tag: string) =>
  z.custom<T>((v) => ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === `[object ${tag}]`, {
    message: `expected a ${tag}`,
  });

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('analyse'),
    id: z.number().int().nonnegative(),
    path: z.string().min(1),
    challenge: challengeSchema,
    fps: z.number().positive().max(30).optional(),
  }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

const checkSchema = z.object({
  name: z.enum(CHECK_NAMES),
  passed: z.boolean().nullable(),
  decisive: z.boolean(),
  // Infinity / NaN are legitimate "measured nothing" scores and survive structured clone.
  score: z.number().or(z.nan()),
  threshold: z.number(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const reportSchema = z.object({
  accepted: z.boolean(),
  reason: z.string().optional(),
  checks: z.array(checkSchema),
  challengeId: z.string(),
  faceTemplate: tagged<Float32Array>('Float32Array'),
  voiceTemplate: tagged<Float32Array>('Float32Array'),
  bestFrameJpeg: tagged<Uint8Array>('Uint8Array'),
  fingerprint: fingerprintSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  durationSec: z.number(),
  timings: z.record(z.string(), z.number()),
});

/** An error thrown inside the worker: AppErrors keep their status and code (4xx = the file's fault). */
export const workerErrorSchema = z.object({
  name: z.string(),
  status: z.number().int(),
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type WorkerError = z.infer<typeof workerErrorSchema>;

export const fromWorkerSchema = z.discriminatedUnion('type', [
  /** Models are loaded; sent once after start. */
  z.object({ type: z.literal('ready') }),
  /** The models could not be loaded: no call can succeed in this worker. */
  z.object({ type: z.literal('start-failed'), message: z.string() }),
  z.object({ type: z.literal('done'), id: z.number().int(), report: reportSchema }),
  z.object({ type: z.literal('failed'), id: z.number().int(), error: workerErrorSchema }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
