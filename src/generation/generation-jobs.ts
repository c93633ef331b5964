import { z } from 'zod';
import { PermanentJobError, type JobDefinition } from '../queue/job-registry';
import type { JobQueue } from '../queue/job-queue';
import { GENERATION_JOB, SWEEP_JOB, type GenerationService } from './generation-service';
import type { createPipeline } from './pipeline';

/** Blobs of attempts that died between the put and the commit are deleted after this. */
export const PENDING_GRACE_SEC = 10 * 60;
/** A row no attempt has touched for this long lost its worker for good (BullMQ gave up on it). */
export const STUCK_AFTER_SEC = 30 * 60;
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export function sweepJobId(now = Date.now()): string {
  return `generation-sweep-${Math.floor(now / SWEEP_EVERY_MS)}`;
}

export function generationJobs(deps: {
  pipeline: ReturnType<typeof createPipeline>;
  service: GenerationService;
  queue: JobQueue;
}): JobDefinition[] {
  const scheduleSweep = () =>
    deps.queue.enqueue(
      SWEEP_JOB,
      { requestedAt: new Date().toISOString() },
      { jobId: sweepJobId(Date.now() + SWEEP_EVERY_MS), delayMs: SWEEP_EVERY_MS },
    );
  return [
    {
      name: GENERATION_JOB,
      schema: z.object({ generationId: z.string().uuid() }),
      attempts: 3,
      backoffMs: 2000,
      async handler(p, ctx) {
        const outcome = await deps.pipeline.run(p.generationId, ctx);
        // Every worker that ran a generation keeps the sweep scheduled (one per window, by job id).
        await scheduleSweep().catch((e: Error) =>
          ctx.log.warn({ err: e.message }, 'could not schedule the generation sweep'),
        );
        if (outcome === 'failed') throw new PermanentJobError(`generation ${p.generationId} failed`);
      },
    },
    {
      name: SWEEP_JOB,
      schema: z.object({ requestedAt: z.string() }),
      attempts: 2,
      async handler(_p, ctx) {
        const r = await deps.service.sweep({
          pendingGraceSec: PENDING_GRACE_SEC,
          stuckAfterSec: STUCK_AFTER_SEC,
        });
        ctx.log.info(r, 'generation sweep done');
      },
    },
  ];
}
