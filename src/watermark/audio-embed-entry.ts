/**
 * Worker thread for marking sound (started by audio-embed-off-thread.ts, never imported by the main
 * thread): marks each set of planar channels it receives and sends them back, until terminated.
 */
import { parentPort } from 'node:worker_threads';
import { embedAudio } from './audio';

const port = parentPort;
if (!port) throw new Error('sound marking worker: not started as a worker thread');
port.on(
  'message',
  (m: { planes: Float32Array[]; sampleRate: number; payloadHex: string; key: Uint8Array }) => {
    try {
      const { step } = embedAudio(m.planes, m.sampleRate, m.payloadHex, Buffer.from(m.key));
      // this thread has no further use for the samples: handed over, not copied
      port.postMessage(
        { ok: true, result: { planes: m.planes, step } },
        m.planes.map((p) => p.buffer as ArrayBuffer),
      );
    } catch (e) {
      port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  },
);
