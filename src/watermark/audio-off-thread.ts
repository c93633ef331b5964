/**
 * The sound-mark search (about 1 s of CPU for 10 s of sound) on a worker thread, so it runs
 * beside the picture's decoding and search instead of after them. If the worker cannot start,
 * crashes, times out or answers nonsense, the search runs here instead: a slower answer, never a
 * missing one.
 */
import { z } from 'zod';
import { moduleBeside } from '../media/module-worker';
import { detectAudio, type AudioDetection } from './audio';
import { candidatesSchema, detectionBaseSchema, evidenceSchema, replySchema } from './detection-schemas';
import { createWorkerPool } from './worker-call';

const ENTRY = moduleBeside(__dirname, __filename, 'audio-detect-entry');
const TIMEOUT_MS = 60_000;

const detectionSchema = detectionBaseSchema.extend({
  secondsUsed: z.number(),
  speed: z.number(),
  pitchKept: z.boolean(),
  candidates: candidatesSchema('sound').optional(),
  evidence: evidenceSchema('sound').optional(),
});
const audioReplySchema = replySchema(detectionSchema);
const pool = createWorkerPool(ENTRY, 'audio detection', { maxIdle: 2, idleMs: 60_000 });

/** The search was stopped by its caller (the answer is no longer wanted). */
export class AudioSearchStopped extends Error {}

export async function detectAudioOffThread(
  pcm: Float32Array,
  sampleRate: number,
  key: Buffer,
  opts: { onFallback?: (e: Error) => void; signal?: AbortSignal } = {},
): Promise<AudioDetection> {
  const worker = pool.take();
  try {
    return await worker.request({ pcm, sampleRate, key: new Uint8Array(key) }, audioReplySchema, {
      timeoutMs: TIMEOUT_MS,
      signal: opts.signal,
      stopped: () => new AudioSearchStopped('audio search stopped'),
    });
  } catch (e) {
    // A stopped search is not retried here: nobody waits for its answer.
    if (e instanceof AudioSearchStopped) throw e;
    opts.onFallback?.(e as Error);
    return detectAudio(pcm, sampleRate, key);
  } finally {
    // a stopped search retired its worker (terminated mid-search): only a sound one goes back
    pool.give(worker);
  }
}
