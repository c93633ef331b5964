/**
 * Detections on a worker thread of their own: the worker is started before its input is ready (its
 * start-up, about 0.2 s under tsx, overlaps the decoding), answers requests one at a time, and is
 * terminated by its owner or kept for the next one. Each reply is checked against a schema; a crash, an exit, a timeout or
 * a malformed reply reject the request and retire the worker, so the caller can fall back to
 * running the detection itself.
 */
import type { Worker } from 'node:worker_threads';
import type { z } from 'zod';
import { startModuleWorker } from '../media/module-worker';

type Reply<T> = { ok: true; result: T } | { ok: false; message: string };

export interface DetectionWorker {
  request<T>(
    message: unknown,
    reply: z.ZodType<Reply<T>>,
    opts: { timeoutMs: number; signal?: AbortSignal; stopped?: () => Error },
  ): Promise<T>;
  /** false once it failed or was closed: a new request would only be refused */
  readonly alive: boolean;
  /**
   * Whether the worker keeps the process running. Held while it may be asked something; a worker
   * kept idle for later is let go of, so that it never keeps a finished process alive.
   */
  hold(on: boolean): void;
  close(): void;
}

export function startDetectionWorker(entry: string, label: string): DetectionWorker {
  let w: Worker | null = null;
  let failure: Error | null = null;
  let pending: ((err: Error | null, raw?: unknown) => void) | null = null;
  const retire = (err: Error): void => {
    failure ??= err;
    const p = pending;
    pending = null;
    if (w) void w.terminate();
    w = null;
    p?.(err);
  };
  try {
    w = startModuleWorker(entry);
    w.on('message', (raw: unknown) => {
      const p = pending;
      pending = null;
      p?.(null, raw);
    });
    w.once('error', (e) => retire(e));
    w.once('exit', (code) => retire(new Error(`${label} worker exited with ${code}`)));
  } catch (e) {
    failure = e as Error;
  }
  return {
    request(message, reply, opts) {
      return new Promise((resolve, reject) => {
        if (failure || !w) return reject(failure ?? new Error(`${label} worker is closed`));
        if (pending) return reject(new Error(`${label} worker is busy`));
        const timer = setTimeout(() => retire(new Error(`${label} timed out`)), opts.timeoutMs);
        const stop = (): void => retire(opts.stopped?.() ?? new Error(`${label} stopped`));
        pending = (err, raw) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', stop);
          if (err) return reject(err);
          const r = reply.safeParse(raw);
          if (!r.success) {
            const bad = new Error(`${label} worker sent a malformed reply`);
            retire(bad);
            reject(bad);
          } else if (!r.data.ok) reject(new Error(r.data.message));
          else resolve(r.data.result);
        };
        if (opts.signal?.aborted) return stop();
        opts.signal?.addEventListener('abort', stop, { once: true });
        // Typed arrays are copied, not transferred: the caller may still hold them.
        w.postMessage(message);
      });
    },
    get alive() {
      return !failure && w !== null;
    },
    hold(on) {
      if (on) w?.ref();
      else w?.unref();
    },
    close() {
      retire(new Error(`${label} worker is closed`));
    },
  };
}

export interface WorkerPool {
  /** an idle worker, or a new one, held for its caller until given back */
  take(): DetectionWorker;
  /** back to the idle ones (closed instead if it failed or enough are idle) */
  give(worker: DetectionWorker): void;
}

/**
 * Workers that finished a detection, kept for the next: starting one costs about 0.2 s of CPU under
 * tsx, which twenty concurrent verifications would otherwise pay twenty times. One left idle for
 * idleMs is closed, so a quiet service holds no threads.
 */
export function createWorkerPool(
  entry: string,
  label: string,
  opts: { maxIdle: number; idleMs: number },
): WorkerPool {
  const idle: { worker: DetectionWorker; timer: NodeJS.Timeout }[] = [];
  return {
    take() {
      for (let e = idle.pop(); e; e = idle.pop()) {
        clearTimeout(e.timer);
        if (e.worker.alive) {
          e.worker.hold(true);
          return e.worker;
        }
      }
      return startDetectionWorker(entry, label);
    },
    give(worker) {
      if (!worker.alive || idle.length >= opts.maxIdle) return worker.close();
      worker.hold(false);
      const e = {
        worker,
        timer: setTimeout(() => {
          const i = idle.indexOf(e);
          if (i >= 0) idle.splice(i, 1);
          worker.close();
        }, opts.idleMs).unref(),
      };
      idle.push(e);
    },
  };
}
