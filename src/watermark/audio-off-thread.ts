/**
 * The sound-mark search (about 1 s of CPU for 10 s of sound) on its own worker thread, so it runs
 * beside the picture's decoding and search instead of after them. If the worker cannot start,
 * crashes, times out or answers nonsense, the search runs here instead: a slower answer, never a
 * missing one.
 */
import { z } from 'zod';
import { moduleBeside, startModuleWorker } from '../media/module-worker';
import { detectAudio, type AudioDetection } from './audio';
import { CODED_BITS } from './ecc';

const ENTRY = moduleBeside(__dirname, __filename, 'audio-detect-entry');
const TIMEOUT_MS = 60_000;

const detectionSchema = z.object({
  detected: z.boolean(),
  payloadHex: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .nullable(),
  crcOk: z.boolean(),
  pValue: z.number().min(0).max(1),
  score: z.number(),
  secondsUsed: z.number(),
  speed: z.number(),
  reason: z.string().optional(),
  rawPayloadHex: z.string().optional(),
  candidates: z
    .array(
      z.object({
        payloadHex: z.string().regex(/^[0-9a-f]{16}$/),
        log10PerIssued: z.number(),
        source: z.literal('sound'),
      }),
    )
    .optional(),
  evidence: z
    .array(
      z.object({
        source: z.literal('sound'),
        soft: z.array(z.number()).length(CODED_BITS),
        payloadEnergy: z.number().min(0),
        syncSum: z.number(),
        syncEnergy: z.number().min(0),
        log10Charge: z.number().min(0),
      }),
    )
    .optional(),
});
const replySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), detection: detectionSchema }),
  z.object({ ok: z.literal(false), message: z.string() }),
]);

/** The search was stopped by its caller (the answer is no longer wanted). */
export class AudioSearchStopped extends Error {}

function inWorker(
  pcm: Float32Array,
  sampleRate: number,
  key: Buffer,
  signal?: AbortSignal,
): Promise<AudioDetection> {
  return new Promise((resolve, reject) => {
    const w = startModuleWorker(ENTRY);
    const timer = setTimeout(() => finish(new Error('audio detection timed out')), TIMEOUT_MS);
    let settled = false;
    function finish(err: Error | null, d?: AudioDetection): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void w.terminate();
      if (err) reject(err);
      else resolve(d!);
    }
    w.once('message', (raw: unknown) => {
      const r = replySchema.safeParse(raw);
      if (!r.success) finish(new Error('audio detection worker sent a malformed reply'));
      else if (!r.data.ok) finish(new Error(r.data.message));
      else finish(null, r.data.detection);
    });
    w.once('error', (e) => finish(e));
    w.once('exit', (code) => finish(new Error(`audio detection worker exited with ${code}`)));
    const stop = () => finish(new AudioSearchStopped('audio search stopped'));
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    // The samples are copied, not transferred: the caller may still hold them.
    w.postMessage({ pcm, sampleRate, key: new Uint8Array(key) });
  });
}

export async function detectAudioOffThread(
  pcm: Float32Array,
  sampleRate: number,
  key: Buffer,
  opts: { onFallback?: (e: Error) => void; signal?: AbortSignal } = {},
): Promise<AudioDetection> {
  try {
    return await inWorker(pcm, sampleRate, key, opts.signal);
  } catch (e) {
    // A stopped search is not retried here: nobody waits for its answer.
    if (e instanceof AudioSearchStopped) throw e;
    opts.onFallback?.(e as Error);
    return detectAudio(pcm, sampleRate, key);
  }
}
