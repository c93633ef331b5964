import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
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

const QUEUE_NAME = 'jobs';

/** Jobs through Redis: API processes enqueue, any number of worker processes consume. */
export function createBullmqQueue(deps: {
  registry: JobRegistry;
  logger: Logger;
  redisUrl: string;
  prefix: string;
  concurrency: number;
}): JobQueue {
  const { registry, logger } = deps;
  const connection = new IORedis(deps.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  connection.on('error', (e) => logger.warn({ err: e.message }, 'redis connection error'));
  const queue = new Queue(QUEUE_NAME, { connection, prefix: deps.prefix });
  let worker: Worker | null = null;
  let workerConnection: IORedis | null = null;

  const summary = async (j: Job): Promise<JobSummary> => ({
    id: String(j.id),
    name: j.name,
    state: (await j.getState()) as JobState,
    attemptsMade: j.attemptsMade,
    enqueuedAt: new Date(j.timestamp).toISOString(),
    failedReason: j.failedReason ?? null,
  });

  return {
    kind: 'bullmq',
    async enqueue(name: string, payload: unknown, opts: EnqueueOptions) {
      const def = registry.get(name);
      if (!def) throw new Error(`Unknown job "${name}".`);
      await queue.add(name, payload, {
        jobId: safeJobId(opts.jobId),
        attempts: jobAttempts(def),
        backoff: { type: 'exponential', delay: jobBackoffMs(def) },
        delay: opts.delayMs,
        removeOnComplete: { age: 24 * 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async startWorker() {
      if (worker) return;
      worker = new Worker(
        QUEUE_NAME,
        async (job: Job) => {
          const def = registry.get(job.name);
          if (!def) throw new UnrecoverableError(`no handler for ${job.name}`);
          const parsed = def.schema.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError(`invalid payload for ${job.name}`);
          const end = jobDuration.startTimer({ job: job.name });
          try {
            await def.handler(parsed.data, {
              jobId: String(job.id),
              attempt: job.attemptsMade + 1,
              maxAttempts: jobAttempts(def),
              log: logger.child({ job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 }),
            });
            jobsProcessed.inc({ job: job.name, outcome: 'completed' });
          } catch (e) {
            jobsProcessed.inc({ job: job.name, outcome: 'failed' });
            if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
            throw e;
          } finally {
            end();
          }
        },
        {
          connection: (workerConnection = new IORedis(deps.redisUrl, { maxRetriesPerRequest: null })),
          prefix: deps.prefix,
          concurrency: deps.concurrency,
          // A worker that dies mid-job loses its lock; the job returns to the queue after this.
          lockDuration: 30000,
          stalledInterval: 15000,
          maxStalledCount: 2,
        },
      );
      worker.on('error', (e) => logger.warn({ err: e.message }, 'worker error'));
      await worker.waitUntilReady();
    },
    async stats(): Promise<QueueStats> {
      const c = await queue.getJobCounts(
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'prioritized',
      );
      const counts: Record<JobState, number> = {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      };
      const oldest = (await queue.getJobs(['waiting'], -1, -1, true))[0] ?? (await queue.getWaiting(0, 0))[0];
      const failed = await queue.getFailed(0, 19);
      return {
        counts,
        oldestWaiting: oldest ? await summary(oldest) : null,
        recentFailures: await Promise.all(failed.map(summary)),
      };
    },
    async retry(jobId: string) {
      const j = await queue.getJob(safeJobId(jobId));
      if (!j || (await j.getState()) !== 'failed') return false;
      await j.retry();
      return true;
    },
    async cancel(jobId: string) {
      const j = await queue.getJob(safeJobId(jobId));
      if (!j) return false;
      const state = await j.getState();
      if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
      await j.remove();
      return true;
    },
    async ping() {
      try {
        return (await connection.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      if (worker) await worker.close();
      await queue.close();
      workerConnection?.disconnect();
      connection.disconnect();
    },
  };
}
