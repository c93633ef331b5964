/**
 * Worker thread for picture-mark detections (started by luma-off-thread.ts, never imported by the
 * main thread): answers each mean luma it receives with its detection, until it is terminated.
 */
import { parentPort } from 'node:worker_threads';
import { detectLuma, type LumaDetectOptions } from './luma';

const port = parentPort;
if (!port) throw new Error('picture detection worker: not started as a worker thread');
port.on(
  'message',
  (m: { luma: Float32Array; width: number; height: number; key: Uint8Array; opts: LumaDetectOptions }) => {
    try {
      port.postMessage({
        ok: true,
        result: detectLuma(m.luma, m.width, m.height, Buffer.from(m.key), m.opts),
      });
    } catch (e) {
      port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  },
);
