/**
 * The picture-mark detection (0.1-0.3 s of CPU on a mean frame, more when the geometry must be
 * searched) on a worker thread, so the thread that serves HTTP is not held while it runs.
 * If the worker cannot start, crashes, times out or answers nonsense, the detection runs here
 * instead: a slower answer, never a missing one.
 */
import { z } from 'zod';
import { moduleBeside } from '../media/module-worker';
import { candidatesSchema, detectionBaseSchema, evidenceSchema, replySchema } from './detection-schemas';
import { detectLuma, type LumaDetection, type LumaDetectOptions } from './luma';
import { createWorkerPool, type DetectionWorker } from './worker-call';

const ENTRY = moduleBeside(__dirname, __filename, 'luma-detect-entry');
const TIMEOUT_MS = 60_000;

const detectionSchema = detectionBaseSchema.extend({
  transform: z
    .object({
      scale: z.number(),
      tileScale: z.number().optional(),
      rotationDeg: z.number(),
      flipped: z.boolean(),
      offsetX: z.number(),
      offsetY: z.number(),
    })
    .nullable(),
  trials: z.number().optional(),
  candidates: candidatesSchema('picture').optional(),
  evidence: evidenceSchema('picture').optional(),
});
const lumaReplySchema = replySchema(detectionSchema);

export interface LumaDetector {
  detect(luma: Float32Array, width: number, height: number, opts?: LumaDetectOptions): Promise<LumaDetection>;
  close(): void;
}

const pool = createWorkerPool(ENTRY, 'picture detection', { maxIdle: 2, idleMs: 60_000 });

/**
 * A picture detector whose worker is taken from the idle ones or started now, so that its start-up
 * overlaps the decoding of the frames it will be given. It answers any number of detections, one
 * at a time, until closed; after that it answers on the calling thread.
 */
export function startLumaDetector(key: Buffer, onFallback?: (e: Error) => void): LumaDetector {
  let mine: DetectionWorker | null = pool.take();
  return {
    async detect(luma, width, height, opts = {}) {
      try {
        if (!mine) throw new Error('picture detection worker is closed');
        return await mine.request({ luma, width, height, key: new Uint8Array(key), opts }, lumaReplySchema, {
          timeoutMs: TIMEOUT_MS,
        });
      } catch (e) {
        onFallback?.(e as Error);
        return detectLuma(luma, width, height, key, opts);
      }
    },
    close() {
      if (mine) pool.give(mine);
      mine = null;
    },
  };
}
