import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import type { Logger } from 'pino';
import type { AuthContext } from '../accounts/account-service';
import { appendAudit } from '../audit/audit-repository';
import type { ConsentService } from '../consent';
import type { Database } from '../db/database';
import {
  Conflict,
  Gone,
  Invalid,
  NotFound,
  PolicyRefusal,
  RateLimited,
  UnsupportedMedia,
} from '../http/errors';
import { ledgerRepository } from '../ledger';
import { ASPECT_SIZES } from '../models';
import type { JobQueue, QueueStats } from '../queue/job-queue';
import type { BlobStore } from '../storage/blob-store';
import { generationRepository as repo, type EventRow, type GenerationRow } from './generation-repository';
import {
  isTerminal,
  MAX_REFERENCE_IMAGE_BYTES,
  type CreateGenerationInput,
  type GenerationEvent,
  type GenerationLimits,
  type GenerationView,
} from './generation-schemas';
import { recordDecision } from './pipeline';

export const GENERATION_JOB = 'generation.run';
export const SWEEP_JOB = 'generation.sweep';
export const generationJobId = (id: string, retry = 0): string =>
  retry ? `generation-${id}-retry-${retry}` : `generation-${id}`;

export const DEFAULT_LIMITS: GenerationLimits = { perMinute: 10, perDay: 200, maxActive: 5 };

const HANDLE_IN_PROMPT = /(?:^|[^A-Za-z0-9_])@([A-Za-z0-9_]{3,30})/g;

/** Cameo handles named in the prompt (`@maya`) and in the list, deduplicated case-insensitively, in order. */
export function cameoHandles(prompt: string, listed: string[]): string[] {
  const all = [...listed, ...[...prompt.matchAll(HANDLE_IN_PROMPT)].map((m) => m[1]!)];
  const seen = new Map<string, string>();
  for (const h of all) if (!seen.has(h.toLowerCase())) seen.set(h.toLowerCase(), h);
  return [...seen.values()];
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toView(g: GenerationRow): GenerationView {
  const delivered = g.stage === 'done' && g.output_key !== null;
  return {
    id: g.id,
    requesterId: g.requester_id,
    prompt: g.prompt,
    cameos: g.cameo_handles,
    durationSec: Number(g.duration_sec),
    aspect: g.aspect,
    width: g.width,
    height: g.height,
    seed: Number(g.seed),
    visibility: g.visibility,
    stage: g.stage,
    progress: Math.round(Number(g.progress) * 1000) / 1000,
    refusal: g.refusal,
    failure: g.failure,
    model: g.model_name ? { name: g.model_name, version: g.model_version ?? '' } : null,
    output: delivered
      ? {
          url: `/v1/generations/${g.id}/output`,
          sha256: g.output_sha256!,
          bytes: Number(g.output_bytes),
          ledgerPayload: g.ledger_payload,
        }
      : null,
    takenDownAt: iso(g.taken_down_at),
    createdAt: iso(g.created_at)!,
    updatedAt: iso(g.updated_at)!,
    finishedAt: iso(g.finished_at),
  };
}

export function toEvent(e: EventRow): GenerationEvent {
  return {
    id: Number(e.id),
    at: iso(e.at)!,
    stage: e.stage,
    decision: e.decision,
    progress: Number(e.progress),
    message: e.message,
    details: typeof e.details === 'string' ? JSON.parse(e.details) : e.details,
  };
}

export interface GenerationServiceDeps {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  consent: ConsentService;
  logger: Logger;
  defaultLimits?: GenerationLimits;
}

export type GenerationService = ReturnType<typeof createGenerationService>;

export function createGenerationService(deps: GenerationServiceDeps) {
  const { db, blobs, queue, consent, logger } = deps;
  const defaults = deps.defaultLimits ?? DEFAULT_LIMITS;

  async function limitsFor(accountId: string): Promise<GenerationLimits> {
    const l = await repo.limitsFor(db, accountId);
    return l.own ?? l.fallback ?? defaults;
  }

  async function storeReferences(images: Buffer[]): Promise<string[]> {
    const keys: string[] = [];
    for (const [i, b] of images.entries()) {
      if (b.length > MAX_REFERENCE_IMAGE_BYTES)
        throw new Invalid(
          'reference_too_large',
          `Reference image ${i + 1} is larger than ${MAX_REFERENCE_IMAGE_BYTES} bytes.`,
        );
      const meta = await sharp(b)
        .metadata()
        .catch(() => null);
      if (!meta || !['jpeg', 'png', 'webp'].includes(meta.format ?? '')) {
        throw new UnsupportedMedia(
          'reference_not_image',
          `Reference image ${i + 1} is not a JPEG, PNG or WebP image.`,
        );
      }
      keys.push((await blobs.put(b)).key);
    }
    return keys;
  }

  /** The row if the caller made it or owns a cameo in it; NotFound otherwise (no hint that it exists). */
  async function visibleTo(auth: AuthContext, id: string): Promise<GenerationRow> {
    const g = await repo.get(db, id);
    if (!g) throw new NotFound('generation_not_found', 'There is no such generation.');
    if (g.requester_id === auth.accountId || g.cameo_owner_ids.includes(auth.accountId)) return g;
    for (const c of g.cameo_ids) {
      try {
        await consent.getOwnedCameo(auth.accountId, c);
        return g;
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
      }
    }
    throw new NotFound('generation_not_found', 'There is no such generation.');
  }

  async function enqueue(id: string, retry = 0): Promise<void> {
    await queue.enqueue(GENERATION_JOB, { generationId: id }, { jobId: generationJobId(id, retry) });
  }

  return {
    limitsFor,

    async create(auth: AuthContext, input: CreateGenerationInput, images: Buffer[]): Promise<{ id: string }> {
      const handles = cameoHandles(input.prompt, input.cameos);
      if (handles.length > 4) throw new Invalid('too_many_cameos', 'A clip may show at most 4 cameos.');
      const referenceKeys = await storeReferences(images);
      // Resolve now so owners see the request from the moment it is queued and revocation can
      // cancel it; the job resolves again, and only that decision counts.
      let cameoIds: string[] = [];
      let ownerIds: string[] = [];
      try {
        const cameos = await consent.resolveCameosForGeneration(auth.accountId, handles);
        cameoIds = cameos.map((c) => c.cameoId);
        ownerIds = [...new Set(cameos.map((c) => c.ownerId))];
      } catch (e) {
        if (!(e instanceof PolicyRefusal)) throw e;
        if (typeof e.details?.cameoId === 'string') cameoIds = [e.details.cameoId];
      }
      const size = ASPECT_SIZES[input.aspect];
      const id = crypto.randomUUID();
      const limits = await limitsFor(auth.accountId);
      await db.transaction(async (tx) => {
        await repo.lockRequester(tx, auth.accountId);
        const u = await repo.usage(tx, auth.accountId);
        if (u.lastMinute >= limits.perMinute) {
          throw new RateLimited(
            'generation_rate_limited',
            `You may request ${limits.perMinute} clips a minute; wait a minute and try again.`,
            { retryAfterSec: 60 },
          );
        }
        if (u.lastDay >= limits.perDay) {
          throw new RateLimited(
            'generation_quota_exhausted',
            `You have used your quota of ${limits.perDay} clips a day.`,
            { retryAfterSec: 3600 },
          );
        }
        if (u.active >= limits.maxActive) {
          throw new RateLimited(
            'generation_too_many_active',
            `You already have ${u.active} clips in progress (at most ${limits.maxActive}); wait for one to finish.`,
          );
        }
        const g = await repo.insert(tx, {
          id,
          requesterId: auth.accountId,
          prompt: input.prompt,
          cameoHandles: handles,
          referenceKeys,
          durationSec: input.durationSec,
          aspect: input.aspect,
          width: size.width,
          height: size.height,
          seed: input.seed ?? crypto.randomInt(0, 2 ** 31 - 1),
          visibility: input.visibility,
        });
        await tx.query('update generations set cameo_ids = $2, cameo_owner_ids = $3 where id = $1', [
          id,
          cameoIds,
          ownerIds,
        ]);
        await recordDecision(tx, g, {
          stage: 'queued',
          decision: 'requested',
          progress: 0,
          details: {
            cameos: handles.length,
            references: referenceKeys.length,
            durationSec: input.durationSec,
            aspect: input.aspect,
            visibility: input.visibility,
          },
        });
      });
      await enqueue(id);
      return { id };
    },

    async get(auth: AuthContext, id: string): Promise<GenerationView> {
      return toView(await visibleTo(auth, id));
    },

    visibleTo,

    async listMine(auth: AuthContext, limit: number): Promise<GenerationView[]> {
      return (await repo.listByRequester(db, auth.accountId, limit)).map(toView);
    },

    async listForCameo(auth: AuthContext, cameoId: string, limit: number): Promise<GenerationView[]> {
      await consent.getOwnedCameo(auth.accountId, cameoId);
      return (await repo.listByCameo(db, cameoId, limit)).map(toView);
    },

    async events(generationId: string, afterId: number): Promise<GenerationEvent[]> {
      return (await repo.eventsAfter(db, generationId, afterId)).map(toEvent);
    },

    async snapshot(id: string): Promise<GenerationRow | null> {
      return repo.get(db, id);
    },

    /** The clip, only once the row says done (a blob put before the commit is never served). */
    async openOutput(
      auth: AuthContext,
      id: string,
    ): Promise<{ stream: Readable; bytes: number; sha256: string }> {
      const g = await visibleTo(auth, id);
      if (g.taken_down_at) throw new Gone('output_taken_down', 'The clip was deleted.');
      if (g.stage !== 'done' || !g.output_key) {
        throw new Conflict(
          'output_not_ready',
          isTerminal(g.stage)
            ? `The generation ended as ${g.stage}; there is no clip.`
            : `The clip is not ready (stage: ${g.stage}).`,
        );
      }
      return {
        stream: await blobs.stream(g.output_key),
        bytes: Number(g.output_bytes),
        sha256: g.output_sha256!,
      };
    },

    async deleteOutput(auth: AuthContext, id: string, reason?: string): Promise<GenerationView> {
      const g = await visibleTo(auth, id);
      if (g.taken_down_at) throw new Gone('output_taken_down', 'The clip was already deleted.');
      if (g.stage !== 'done' || !g.output_key)
        throw new Conflict('no_output', 'This generation has no clip to delete.');
      const key = g.output_key;
      const asOwner = g.requester_id !== auth.accountId;
      const why = reason ?? (asOwner ? 'deleted by a cameo owner' : 'deleted by the creator');
      const row = await db.transaction(async (tx) => {
        const r = await repo.takeDown(tx, id);
        if (!r) return null;
        await ledgerRepository.markTakenDown(tx, id, why);
        // Recorded as pending so the sweeper removes the blob if we stop before deleting it.
        await repo.addPendingOutput(tx, key, id, crypto.randomUUID());
        await appendAudit(tx, {
          actorId: auth.accountId,
          action: 'generation.output.deleted',
          subjectType: 'generation',
          subjectId: id,
          details: { reason: why, asCameoOwner: asOwner, sha256: g.output_sha256 },
        });
        await repo.addEvent(tx, {
          generationId: id,
          stage: 'done',
          decision: 'taken_down',
          progress: 1,
          message: `The clip was ${why}.`,
        });
        return r;
      });
      if (!row) throw new Gone('output_taken_down', 'The clip was already deleted.');
      if (!(await repo.isOutputReferenced(db, key))) await blobs.delete(key);
      await db.query('delete from generation_pending_outputs where blob_key = $1', [key]);
      return toView(row);
    },

    /** Ends a live generation (operator cancel or a cameo revocation) and drops its queued job. */
    async cancel(
      id: string,
      by: { actorId: string | null; outcome: 'failed' | 'refused'; rule: string; message: string },
    ): Promise<GenerationView> {
      const ended = await db.transaction(async (tx) => {
        const r = await repo.end(
          tx,
          id,
          by.outcome === 'refused'
            ? { stage: 'refused', refusal: { stage: 'consent', rule: by.rule, message: by.message } }
            : { stage: 'failed', failure: by.message },
          null,
        );
        if (!r) return null;
        await recordDecision(tx, r, {
          stage: by.outcome === 'refused' ? 'consent' : r.stage,
          decision: by.outcome === 'refused' ? 'refused' : 'cancelled',
          progress: r.progress,
          message: by.message,
          details: { rule: by.rule },
          actorId: by.actorId,
        });
        return r;
      });
      if (!ended) {
        const g = await repo.get(db, id);
        if (!g) throw new NotFound('generation_not_found', 'There is no such generation.');
        throw new Conflict('generation_ended', `The generation already ended as ${g.stage}.`);
      }
      await queue.cancel(generationJobId(id)).catch(() => false);
      return toView(ended);
    },

    async onCameoRevoked(cameoId: string): Promise<number> {
      const live = await repo.liveWithCameo(db, cameoId);
      let n = 0;
      for (const g of live) {
        try {
          await this.cancel(g.id, {
            actorId: null,
            outcome: 'refused',
            rule: 'consent_revoked',
            message: 'A cameo owner revoked their cameo, so this clip was stopped before it was made.',
          });
          n++;
        } catch (e) {
          if (!(e instanceof Conflict)) throw e;
        }
      }
      if (n) logger.info({ cameoId, cancelled: n }, 'cameo revoked: generations stopped');
      return n;
    },

    async retry(actorId: string, id: string): Promise<GenerationView> {
      const row = await db.transaction(async (tx) => {
        const r = await repo.requeue(tx, id);
        if (!r) return null;
        await recordDecision(tx, r, {
          stage: 'queued',
          decision: 'retried',
          progress: 0,
          message: 'An operator retried the generation.',
          actorId,
        });
        return r;
      });
      if (!row) {
        const g = await repo.get(db, id);
        if (!g) throw new NotFound('generation_not_found', 'There is no such generation.');
        throw new Conflict('not_failed', `Only failed generations can be retried; this one is ${g.stage}.`);
      }
      if (!(await queue.retry(generationJobId(id)))) await enqueue(id, row.attempts + 1);
      return toView(row);
    },

    async queueView(): Promise<{ queue: QueueStats; generationsByStage: Record<string, number> }> {
      const [stats, byStage] = await Promise.all([queue.stats(), repo.stageCounts(db)]);
      return { queue: stats, generationsByStage: byStage };
    },

    async setLimits(
      actorId: string,
      accountId: string | null,
      l: GenerationLimits,
    ): Promise<GenerationLimits> {
      await db.transaction(async (tx) => {
        await repo.setLimits(tx, accountId, l);
        await appendAudit(tx, {
          actorId,
          action: 'generation.limits.set',
          subjectType: accountId ? 'account' : 'generation_limits',
          subjectId: accountId ?? 'default',
          details: { ...l },
        });
      });
      return l;
    },

    /** Deletes blobs whose attempt died before committing, and fails rows no worker has touched for a long time. */
    async sweep(opts: {
      pendingGraceSec: number;
      stuckAfterSec: number;
    }): Promise<{ blobsDeleted: number; rowsFailed: number }> {
      let blobsDeleted = 0;
      for (const p of await repo.stalePendingOutputs(db, opts.pendingGraceSec)) {
        if (!p.referenced) {
          await blobs.delete(p.blob_key);
          blobsDeleted++;
        }
        await db.query('delete from generation_pending_outputs where blob_key = $1 and attempt_token = $2', [
          p.blob_key,
          p.attempt_token,
        ]);
      }
      const stuck = await db.query<{ id: string }>(
        `select id from generations where stage in ('policy','consent','rendering','scanning','stamping')
            and updated_at < now() - ($1::int * interval '1 second')`,
        [opts.stuckAfterSec],
      );
      let rowsFailed = 0;
      for (const { id } of stuck.rows) {
        try {
          await this.cancel(id, {
            actorId: null,
            outcome: 'failed',
            rule: 'worker_lost',
            message: 'The worker making this clip stopped and it was not resumed; nothing was delivered.',
          });
          rowsFailed++;
        } catch (e) {
          if (!(e instanceof Conflict)) throw e;
        }
      }
      return { blobsDeleted, rowsFailed };
    },
  };
}
