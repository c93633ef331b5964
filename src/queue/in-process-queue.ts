import type { Logger } from 'pino';
import { jobDuration, jobsProcessed } from '../observability/metrics';
import { PermanentJobError, jobAttempts, jobBackoffMs, type JobRegistry } from './job-registry';
import {
  safeJobId,
  type EnqueueOptions,
  type JobQueue,
  type JobState,
  type JobSummary,
  type QueueStats,
} from './job-queue';

interface Entry {
  id: string;
  name: string;
  payload: unknown;
  state: JobState;
  attemptsMade: number;
  enqueuedAt: Date;
  failedReason: string | null;
  timer?: NodeJS.Timeout;
}

/**
 * The embedded runner used when no REDIS_URL is set: the same registry and handlers as the
 * BullMQ workers, with retries, backoff and id-based deduplication, inside the API process.
 */
export function createInProcessQueue(deps: {
  registry: JobRegistry;
  logger: Logger;
  concurrency: number;
}): JobQueue {
  const { registry, logger, concurrency } = deps;
  const jobs = new Map<string, Entry>();
  const ready: Entry[] = [];
  let running = 0;
  let started = false;
  let closing = false;
  const idle: (() => void)[] = [];

  function pump(): void {
    while (started && !closing && running < concurrency && ready.length > 0) {
      const e = ready.shift()!;
      if (e.state !== 'waiting') continue;
      void run(e);
    }
    if (running === 0) idle.splice(0).forEach((f) => f());
  }

  // Finished entries are kept for id deduplication for a day, like BullMQ's removeOnComplete age.
  function prune(): void {
    if (jobs.size < 5000) return;
    const cutoff = Date.now() - 24 * 3600 * 1000;
    for (const [id, e] of jobs) {
      if ((e.state === 'completed' || e.state === 'failed') && e.enqueuedAt.getTime() < cutoff)
        jobs.delete(id);
    }
  }

  async function run(e: Entry): Promise<void> {
    const def = registry.get(e.name);
    running++;
    e.state = 'active';
    e.attemptsMade++;
    const end = jobDuration.startTimer({ job: e.name });
    const log = logger.child({ job: e.name, jobId: e.id, attempt: e.attemptsMade });
    try {
      if (!def) throw new PermanentJobError(`no handler for ${e.name}`);
      const payload = def.schema.parse(e.payload);
      await def.handler(payload, {
        jobId: e.id,
        attempt: e.attemptsMade,
        maxAttempts: jobAttempts(def),
        log,
      });
      e.state = 'completed';
      jobsProcessed.inc({ job: e.name, outcome: 'completed' });
    } catch (err) {
      const permanent = err instanceof PermanentJobError || (err as Error)?.name === 'ZodError';
      const max = def ? jobAttempts(def) : 1;
      e.failedReason = (err as Error)?.message ?? String(err);
      if (!permanent && e.attemptsMade < max && !closing) {
        e.state = 'delayed';
        const delay = jobBackoffMs(def!) * 2 ** (e.attemptsMade - 1);
        log.warn({ delay, reason: e.failedReason }, 'job failed; retrying');
        e.timer = setTimeout(() => {
          e.state = 'waiting';
          ready.push(e);
          pump();
        }, delay);
        jobsProcessed.inc({ job: e.name, outcome: 'retried' });
      } else {
        e.state = 'failed';
        log.error({ reason: e.failedReason }, 'job failed');
        jobsProcessed.inc({ job: e.name, outcome: 'failed' });
      }
    } finally {
      end();
      running--;
      pump();
    }
  }

  const summary = (e: Entry): JobSummary => ({
    id: e.id,
    name: e.name,
    state: e.state,
    attemptsMade: e.attemptsMade,
    enqueuedAt: e.enqueuedAt.toISOString(),
    failedReason: e.failedReason,
  });

  return {
    kind: 'in-process',
    async enqueue(name: string, payload: unknown, opts: EnqueueOptions) {
      if (!registry.get(name)) throw new Error(`Unknown job "${name}".`);
      if (closing) throw new Error('The job runner is shutting down.');
      const id = safeJobId(opts.jobId);
      if (jobs.has(id)) return;
      const e: Entry = {
        id,
        name,
        payload: JSON.parse(JSON.stringify(payload)),
        state: 'waiting',
        attemptsMade: 0,
        enqueuedAt: new Date(),
        failedReason: null,
      };
      prune();
      jobs.set(id, e);
      if (opts.delayMs) {
        e.state = 'delayed';
        e.timer = setTimeout(() => {
          e.state = 'waiting';
          ready.push(e);
          pump();
        }, opts.delayMs);
      } else {
        ready.push(e);
        setImmediate(pump);
      }
    },
    async startWorker() {
      started = true;
      pump();
    },
    async stats(): Promise<QueueStats> {
      const counts: Record<JobState, number> = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
      let oldest: Entry | null = null;
      for (const e of jobs.values()) {
        counts[e.state]++;
        if (e.state === 'waiting' && (!oldest || e.enqueuedAt < oldest.enqueuedAt)) oldest = e;
      }
      const failures = [...jobs.values()]
        .filter((e) => e.state === 'failed')
        .slice(-20)
        .map(summary);
      return { counts, oldestWaiting: oldest ? summary(oldest) : null, recentFailures: failures };
    },
    async retry(jobId: string) {
      const e = jobs.get(safeJobId(jobId));
      if (!e || e.state !== 'failed') return false;
      e.state = 'waiting';
      e.attemptsMade = 0;
      ready.push(e);
      setImmediate(pump);
      return true;
    },
    async cancel(jobId: string) {
      const e = jobs.get(safeJobId(jobId));
      if (!e || (e.state !== 'waiting' && e.state !== 'delayed')) return false;
      if (e.timer) clearTimeout(e.timer);
      jobs.delete(e.id);
      return true;
    },
    async ping() {
      return !closing;
    },
    async close() {
      closing = true;
      for (const e of jobs.values()) if (e.timer) clearTimeout(e.timer);
      if (running > 0) await new Promise<void>((r) => idle.push(r));
    },
  };
}
