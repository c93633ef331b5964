/**
 * The analysis worker thread: loads the face, PAD and VAD models once, then analyses one recording
 * per message (the host sends one at a time). Started by host.ts through worker/bootstrap, never
 * imported by the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { faceRuntime } from '../../../faces/runtime';
import { isAppError } from '../../../http/errors';
import { analyseInThread } from '../analyse-in-thread';
import { padModels } from '../pad';
import { speechProbabilities } from '../vad';
import { toWorkerSchema, type FromWorker, type WorkerError } from './protocol';

const port = parentPort;
if (!port) throw new Error('consent analysis worker: not started as a worker thread');

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

function toWorkerError(e: unknown): WorkerError {
  if (isAppError(e)) {
    return { name: e.name, status: e.status, code: e.code, message: e.message, details: e.details };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, status: 500, code: 'analysis_error', message: err.message };
}

async function warmUp(): Promise<void> {
  const rt = await faceRuntime();
  await padModels(rt);
  // Starts Silero's own worker and loads its session.
  await speechProbabilities(new Float32Array(1024));
}

const started = warmUp();
started.then(
  () => post({ type: 'ready' }),
  (e: unknown) => post({ type: 'start-failed', message: e instanceof Error ? e.message : String(e) }),
);

port.on('message', (raw: unknown) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    post({
      type: 'failed',
      id: typeof id === 'number' ? id : -1,
      error: { name: 'Error', status: 500, code: 'bad_message', message: parsed.error.message },
    });
    return;
  }
  const msg = parsed.data;
  void (async () => {
    try {
      await started;
      const report = await analyseInThread(msg.path, msg.challenge, { fps: msg.fps });
      post({ type: 'done', id: msg.id, report });
    } catch (e) {
      post({ type: 'failed', id: msg.id, error: toWorkerError(e) });
    }
  })();
});
