/**
 * Marking a clip's sound (about 1.5 s of CPU for 10 s of stereo) on a worker thread, so it runs
 * beside the picture's decode, marking and encode instead of before them. If the worker cannot
 * start, crashes, times out or answers nonsense, the sound is marked here instead: a slower
 * answer, never a missing or different one.
 */
import { z } from 'zod';
import { moduleBeside } from '../media/module-worker';
import { embedAudio } from './audio';
import { replySchema } from './detection-schemas';
import { createWorkerPool } from './worker-call';

const ENTRY = moduleBeside(__dirname, __filename, 'audio-embed-entry');
const pool = createWorkerPool(ENTRY, 'sound marking', { maxIdle: 1, idleMs: 60_000 });

/** By tag, not instanceof: arrays from a worker may come from another realm (jest's, for one). */
function isFloat32Array(p: unknown): p is Float32Array {
  return Object.prototype.toString.call(p) === '[object Float32Array]';
}

/** Generous: marking runs at well over ten times real time; a worker this slow is stuck. */
function timeoutMs(seconds: number): number {
  return 60_000 + 2_000 * seconds;
}

/**
 * Marks planar channels (same length each) and returns them marked: new arrays from the worker, or
 * the given ones marked in place when it ran here.
 */
export async function embedAudioOffThread(
  planes: Float32Array[],
  sampleRate: number,
  payloadHex: string,
  key: Buffer,
  opts: { onFallback?: (e: Error) => void } = {},
): Promise<Float32Array[]> {
  const n = planes[0]?.length ?? 0;
  const reply = replySchema(
    z.object({
      planes: z
        .array(z.custom<Float32Array>((p) => isFloat32Array(p) && p.length === n))
        .length(planes.length),
      step: z.number(),
    }),
  );
  const worker = pool.take();
  try {
    const r = await worker.request({ planes, sampleRate, payloadHex, key: new Uint8Array(key) }, reply, {
      timeoutMs: timeoutMs(n / sampleRate),
    });
    return r.planes;
  } catch (e) {
    opts.onFallback?.(e as Error);
    embedAudio(planes, sampleRate, payloadHex, key);
    return planes;
  } finally {
    pool.give(worker);
  }
}
