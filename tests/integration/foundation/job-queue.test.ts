import crypto from 'node:crypto';
import { z } from 'zod';
import { createBullmqQueue } from '../../../src/queue/bullmq-queue';
import { createInProcessQueue } from '../../../src/queue/in-process-queue';
import type { JobQueue } from '../../../src/queue/job-queue';
import { JobRegistry, PermanentJobError } from '../../../src/queue/job-registry';
import { quietLogger } from '../../helpers/runtime';

type Make = (registry: JobRegistry, concurrency?: number) => JobQueue;

const kinds: [string, Make | null][] = [
  [
    'in-process',
    (registry, concurrency = 2) => createInProcessQueue({ registry, logger: quietLogger, concurrency }),
  ],
  [
    'bullmq',
    process.env.REDIS_URL
      ? (registry, concurrency = 2) =>
          createBullmqQueue({
            registry,
            logger: quietLogger,
            redisUrl: process.env.REDIS_URL!,
            prefix: `tq${crypto.randomBytes(4).toString('hex')}`,
            concurrency,
          })
      : null,
  ],
];

const waitFor = async (cond: () => boolean, ms = 15000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(kinds.filter(([, m]) => m !== null) as [string, Make][])('job queue (%s)', (_name, make) => {
  it('retries a failing handler with backoff until it succeeds', async () => {
    const attempts: number[] = [];
    const registry = new JobRegistry().register({
      name: 'flaky',
      schema: z.object({ n: z.number() }),
      attempts: 3,
      backoffMs: 50,
      async handler(_p, ctx) {
        attempts.push(Date.now());
        if (ctx.attempt < 3) throw new Error('transient');
      },
    });
    const q = make(registry);
    await q.startWorker();
    await q.enqueue('flaky', { n: 1 }, { jobId: 'flaky-1' });
    await waitFor(() => attempts.length === 3);
    // Timers fire late under load but never (much) early: each wait is at least its backoff,
    // 50 ms and then twice that, so the second gap proves the doubling without timing the first.
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(45);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(95);
    await waitFor(() => false, 200).catch(() => undefined);
    expect(attempts).toHaveLength(3);
    await q.close();
  });

  it('runs work enqueued twice under the same job id once', async () => {
    let runs = 0;
    const registry = new JobRegistry().register({
      name: 'once',
      schema: z.object({ id: z.string() }),
      async handler() {
        runs++;
      },
    });
    const q = make(registry);
    await q.enqueue('once', { id: 'a' }, { jobId: 'work:a' });
    await q.enqueue('once', { id: 'a' }, { jobId: 'work:a' });
    await q.startWorker();
    await q.enqueue('once', { id: 'a' }, { jobId: 'work:a' });
    await waitFor(() => runs >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(1);
    await q.close();
  });

  it('validates the payload when the job is consumed and does not retry a permanent failure', async () => {
    const seen: unknown[] = [];
    let permanentRuns = 0;
    const registry = new JobRegistry()
      .register({
        name: 'typed',
        schema: z.strictObject({ count: z.number().int() }),
        async handler(p) {
          seen.push(p);
        },
      })
      .register({
        name: 'permanent',
        schema: z.object({}),
        attempts: 5,
        backoffMs: 10,
        async handler() {
          permanentRuns++;
          throw new PermanentJobError('cannot succeed');
        },
      });
    const q = make(registry);
    await q.startWorker();
    await q.enqueue('typed', { count: 'three' }, { jobId: 'typed-bad' });
    await q.enqueue('typed', { count: 3 }, { jobId: 'typed-good' });
    await q.enqueue('permanent', {}, { jobId: 'perm-1' });
    await waitFor(() => seen.length === 1 && permanentRuns === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([{ count: 3 }]);
    expect(permanentRuns).toBe(1);
    const stats = await q.stats();
    expect(stats.counts.failed).toBeGreaterThanOrEqual(2);
    await q.close();
  });

  it('finishes in-flight jobs on graceful shutdown', async () => {
    let finished = 0;
    let started = 0;
    const registry = new JobRegistry().register({
      name: 'slow',
      schema: z.object({ i: z.number() }),
      async handler() {
        started++;
        await new Promise((r) => setTimeout(r, 700));
        finished++;
      },
    });
    const q = make(registry, 2);
    await q.startWorker();
    await q.enqueue('slow', { i: 1 }, { jobId: 'slow-1' });
    await q.enqueue('slow', { i: 2 }, { jobId: 'slow-2' });
    await waitFor(() => started === 2);
    await q.close();
    expect(finished).toBe(2);
  });

  it('cancels a job that has not started and retries a failed one on request', async () => {
    let runs = 0;
    let fail = true;
    const registry = new JobRegistry().register({
      name: 'ctl',
      schema: z.object({}),
      attempts: 1,
      async handler() {
        runs++;
        if (fail) throw new Error('no');
      },
    });
    const q = make(registry);
    await q.enqueue('ctl', {}, { jobId: 'ctl-delayed', delayMs: 60000 });
    expect(await q.cancel('ctl-delayed')).toBe(true);
    await q.startWorker();
    await q.enqueue('ctl', {}, { jobId: 'ctl-fail' });
    await waitFor(() => runs === 1);
    await new Promise((r) => setTimeout(r, 200));
    fail = false;
    expect(await q.retry('ctl-fail')).toBe(true);
    await waitFor(() => runs === 2);
    await q.close();
  });
});

describe('job registry', () => {
  const def = { name: 'a', schema: z.object({}), handler: async () => undefined };
  it('refuses two handlers for one job name', () => {
    expect(() => new JobRegistry().register(def).register(def)).toThrow(/Two handlers/);
  });
  it('refuses a declared job without a handler and a handler for an undeclared job', () => {
    expect(() => new JobRegistry().register(def).assertMatches(['a', 'b'])).toThrow(
      /No handler is registered for the job b/,
    );
    expect(() => new JobRegistry().register(def).assertMatches([])).toThrow(/not declared/);
  });
});
