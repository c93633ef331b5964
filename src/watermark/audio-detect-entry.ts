/**
 * Worker thread for sound-mark searches (started by audio-off-thread.ts, never imported by the
 * main thread): answers each set of samples it receives with its detection, until terminated.
 */
import { parentPort } from 'node:worker_threads';
import { detectAudio } from './audio';

const port = parentPort;
if (!port) throw new Error('audio detection worker: not started as a worker thread');
port.on('message', (m: { pcm: Float32Array; sampleRate: number; key: Uint8Array }) => {
  try {
    port.postMessage({ ok: true, result: detectAudio(m.pcm, m.sampleRate, Buffer.from(m.key)) });
  } catch (e) {
    port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
