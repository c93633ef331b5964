/**
 * Runs the enrollment analysis in one long-lived worker thread, so decoding bookkeeping, tfjs-wasm
 * inference and the per-frame JavaScript never block the event loop of the API process (in the
 * in-process job mode an analysis is 5-40 s of CPU).
 *
 * The same shape as src/provenance/c2pa-runtime.ts, which runs c2pa-rs this way: a worker started
 * from an eval'd bootstrap, a `ready` message once the engine is loaded, one call at a time, a
 * per-call time limit, and a dead or hung worker replaced by a fresh one on the next call while
 * the call in flight is rejected with a reason. Here the worker code is TypeScript: under tsx and
 * jest the bootstrap registers tsx in the worker; a tsc build runs the compiled entry.js.
 */
import type { Worker } from 'node:worker_threads';
import {
  AppError,
  Conflict,
  Forbidden,
  Gone,
  Invalid,
  NotFound,
  PayloadTooLarge,
  PolicyRefusal,
  Unavailable,
  UnsupportedMedia,
} from '../../../http/errors';
import { moduleBeside, startModuleWorker } from '../../../media/module-worker';
import type { Challenge } from '../../challenge';
import type { AnalysisReport } from '../types';
import { fromWorkerSchema, type WorkerError } from './protocol';

/**
 * The worker died, hung or could not load its models. A 503: not the recording's fault as far as
 * anyone knows, so the job is retried (on a fresh worker) and only the last attempt fails it.
 */
export class AnalysisStopped extends Unavailable {}

/** Next to this file: entry.ts from source (tsx, ts-jest), entry.js in a tsc build. */
const ENTRY = moduleBeside(__dirname, __filename, 'entry');

/** Time allowed to load the models in a fresh worker. */
const START_TIMEOUT_MS = 120_000;

/**
 * Time allowed for one analysis once the worker is ready: about 5 s of CPU for 10 s of 720p on a
 * free core, 30-45 s measured on this shared 2-core machine under load; a recording is at most 30 s.
 */
export const DEFAULT_ANALYSIS_TIMEOUT_MS = 180_000;

interface Job {
  resolve(r: AnalysisReport): void;
  reject(e: Error): void;
}

interface AnalysisWorker {
  w: Worker;
  ready: Promise<void>;
  jobs: Map<number, Job>;
}

let worker: AnalysisWorker | undefined;
let nextJobId = 1;

const BY_STATUS: Record<
  number,
  new (code: string, message: string, details?: Record<string, unknown>) => AppError
> = {
  400: Invalid,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  410: Gone,
  413: PayloadTooLarge,
  415: UnsupportedMedia,
  422: PolicyRefusal,
};

/** Rebuilds the worker's error on this side: 4xx keep their class (the file's fault), the rest is internal. */
function fromWorkerError(e: WorkerError): Error {
  const Cls = BY_STATUS[e.status];
  if (Cls) return new Cls(e.code, e.message, e.details);
  const err = new Error(`consent analysis failed in the worker: ${e.name}: ${e.message}`);
  return err;
}

function dropWorker(aw: AnalysisWorker): void {
  if (worker === aw) worker = undefined;
  void aw.w.terminate();
}

function startWorker(): AnalysisWorker {
  const w = startModuleWorker(ENTRY);
  let markReady: () => void = () => undefined;
  let failStart: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failStart = reject;
  });
  // Nobody may be waiting yet; the caller that awaits it sees the rejection.
  ready.catch(() => undefined);
  const aw: AnalysisWorker = { w, ready, jobs: new Map() };
  const startTimer = setTimeout(() => {
    failStart(new AnalysisStopped('analysis_unavailable', 'The analysis engine did not start in time.'));
    dropWorker(aw);
  }, START_TIMEOUT_MS);
  startTimer.unref();
  w.on('message', (raw: unknown) => {
    const parsed = fromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      // A worker that speaks nonsense cannot be trusted with the next call either.
      for (const job of aw.jobs.values())
        job.reject(new Error(`consent analysis worker sent a malformed message: ${parsed.error.message}`));
      aw.jobs.clear();
      dropWorker(aw);
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'ready') {
      clearTimeout(startTimer);
      markReady();
      return;
    }
    if (msg.type === 'start-failed') {
      clearTimeout(startTimer);
      failStart(
        new AnalysisStopped(
          'analysis_unavailable',
          `The analysis models could not be loaded: ${msg.message}`,
        ),
      );
      dropWorker(aw);
      return;
    }
    const job = aw.jobs.get(msg.id);
    if (!job) return;
    aw.jobs.delete(msg.id);
    if (aw.jobs.size === 0) w.unref();
    if (msg.type === 'failed') job.reject(fromWorkerError(msg.error));
    else {
      const r = msg.report;
      // Copies made in this realm (see protocol.ts): callers use instanceof Buffer / Float32Array.
      job.resolve({
        ...r,
        faceTemplate: Float32Array.from(r.faceTemplate),
        voiceTemplate: Float32Array.from(r.voiceTemplate),
        bestFrameJpeg: Buffer.from(r.bestFrameJpeg),
      });
    }
  });
  const onDeath = (why: string): void => {
    clearTimeout(startTimer);
    if (worker === aw) worker = undefined;
    const err = new AnalysisStopped('analysis_crashed', `The analysis worker stopped (${why}).`);
    failStart(err);
    for (const job of aw.jobs.values()) job.reject(err);
    aw.jobs.clear();
  };
  w.on('error', (e) => onDeath(e.message));
  w.on('exit', (code) => onDeath(`exit code ${code}`));
  return aw;
}

// One analysis at a time: the worker is one thread, and Silero VAD keeps state per recording.
let queue: Promise<unknown> = Promise.resolve();

export interface WorkerAnalysisOptions {
  /** Frames sampled per second (default SAMPLE_FPS). */
  fps?: number;
  timeoutMs?: number;
}

/**
 * The enrollment analysis (analyse-in-thread.ts) in the worker thread. Same contract: resolves a
 * report, rejects with Invalid / UnsupportedMedia / PayloadTooLarge for files that are not a short
 * video with sound, and with AnalysisStopped when the worker crashed, hung past `timeoutMs` or
 * could not start (the next call gets a fresh worker).
 */
export function analyseInWorker(
  filePath: string,
  challenge: Challenge,
  opts: WorkerAnalysisOptions = {},
): Promise<AnalysisReport> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ANALYSIS_TIMEOUT_MS;
  const run = queue.then(async () => {
    worker ??= startWorker();
    const current = worker;
    current.w.ref();
    try {
      await current.ready;
    } finally {
      if (current.jobs.size === 0) current.w.unref();
    }
    if (worker !== current)
      throw new AnalysisStopped('analysis_crashed', 'The analysis worker stopped while starting.');
    const id = nextJobId++;
    return new Promise<AnalysisReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        current.jobs.delete(id);
        reject(
          new AnalysisStopped(
            'analysis_timeout',
            `The analysis did not finish within ${Math.round(timeoutMs / 1000)} s.`,
          ),
        );
        dropWorker(current);
      }, timeoutMs);
      timer.unref();
      const settle =
        <A>(fn: (a: A) => void) =>
        (a: A): void => {
          clearTimeout(timer);
          fn(a);
        };
      current.jobs.set(id, { resolve: settle(resolve), reject: settle(reject) });
      current.w.ref();
      current.w.postMessage({ type: 'analyse', id, path: filePath, challenge, fps: opts.fps });
    });
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Starts the worker and loads its models now, so the first enrollment does not pay for it. */
export function warmUpAnalysis(): Promise<void> {
  return queue.then(async () => {
    worker ??= startWorker();
    await worker.ready;
  });
}

/** Stops the worker (tests use it to show a crash fails the call and the next call recovers). */
export async function stopAnalysisWorker(): Promise<void> {
  const current = worker;
  worker = undefined;
  if (current) await current.w.terminate();
}
