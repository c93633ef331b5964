import type { Queryable } from '../db/database';
import type { GenerationLimits, Refusal, Stage } from './generation-schemas';

export interface GenerationRow {
  id: string;
  requester_id: string;
  prompt: string;
  cameo_handles: string[];
  cameo_ids: string[];
  cameo_owner_ids: string[];
  reference_keys: string[];
  duration_sec: number;
  aspect: string;
  width: number;
  height: number;
  seed: string | number;
  visibility: string;
  stage: Stage;
  progress: number;
  refusal: Refusal | null;
  failure: string | null;
  model_name: string | null;
  model_version: string | null;
  attempt_token: string | null;
  attempts: number;
  output_key: string | null;
  output_sha256: string | null;
  output_bytes: string | number | null;
  ledger_payload: string | null;
  taken_down_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

export interface EventRow {
  id: string | number;
  generation_id: string;
  at: Date | string;
  stage: string;
  decision: string;
  progress: number;
  message: string | null;
  details: Record<string, unknown>;
}

const LIVE = `stage not in ('done','refused','failed')`;

/** The only SQL of the generation domain. Every state change is conditional on the row still being live. */
export const generationRepository = {
  async insert(
    tx: Queryable,
    g: {
      id: string;
      requesterId: string;
      prompt: string;
      cameoHandles: string[];
      referenceKeys: string[];
      durationSec: number;
      aspect: string;
      width: number;
      height: number;
      seed: number;
      visibility: string;
    },
  ): Promise<GenerationRow> {
    const r = await tx.query<GenerationRow>(
      `insert into generations (id, requester_id, prompt, cameo_handles, reference_keys, duration_sec, aspect, width, height, seed, visibility)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) returning *`,
      [
        g.id,
        g.requesterId,
        g.prompt,
        g.cameoHandles,
        g.referenceKeys,
        g.durationSec,
        g.aspect,
        g.width,
        g.height,
        g.seed,
        g.visibility,
      ],
    );
    return r.rows[0]!;
  },

  async get(db: Queryable, id: string, forUpdate = false): Promise<GenerationRow | null> {
    const r = await db.query<GenerationRow>(
      `select * from generations where id = $1${forUpdate ? ' for update' : ''}`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  /** Takes the row for a new attempt; null when it already ended. The token fences out older attempts. */
  async beginAttempt(tx: Queryable, id: string, token: string): Promise<GenerationRow | null> {
    const r = await tx.query<GenerationRow>(
      `update generations set attempt_token = $2, attempts = attempts + 1, stage = 'policy', progress = 0,
              updated_at = now() where id = $1 and ${LIVE} returning *`,
      [id, token],
    );
    return r.rows[0] ?? null;
  },

  /** Moves a live row held by `token` to a stage; false when the row ended or another attempt holds it. */
  async setStage(db: Queryable, id: string, token: string, stage: Stage, progress: number): Promise<boolean> {
    const r = await db.query(
      `update generations set stage = $3, progress = $4, updated_at = now()
        where id = $1 and attempt_token = $2 and ${LIVE}`,
      [id, token, stage, progress],
    );
    return r.rowCount > 0;
  },

  async setProgress(db: Queryable, id: string, token: string, progress: number): Promise<boolean> {
    const r = await db.query(
      `update generations set progress = $3, updated_at = now() where id = $1 and attempt_token = $2 and ${LIVE}`,
      [id, token, progress],
    );
    return r.rowCount > 0;
  },

  async setCameos(
    tx: Queryable,
    id: string,
    token: string,
    cameoIds: string[],
    ownerIds: string[],
  ): Promise<boolean> {
    const r = await tx.query(
      `update generations set cameo_ids = $3, cameo_owner_ids = $4, updated_at = now()
        where id = $1 and attempt_token = $2 and ${LIVE}`,
      [id, token, cameoIds, ownerIds],
    );
    return r.rowCount > 0;
  },

  async setModel(db: Queryable, id: string, token: string, name: string, version: string): Promise<boolean> {
    const r = await db.query(
      `update generations set model_name = $3, model_version = $4 where id = $1 and attempt_token = $2 and ${LIVE}`,
      [id, token, name, version],
    );
    return r.rowCount > 0;
  },

  /** Ends a live row as refused or failed. With a token, only that attempt may end it. */
  async end(
    tx: Queryable,
    id: string,
    outcome: { stage: 'refused'; refusal: Refusal } | { stage: 'failed'; failure: string },
    token: string | null,
  ): Promise<GenerationRow | null> {
    const r = await tx.query<GenerationRow>(
      `update generations set stage = $2, refusal = $3, failure = $4, finished_at = now(), updated_at = now()
        where id = $1 and ${LIVE} and ($5::uuid is null or attempt_token = $5) returning *`,
      [
        id,
        outcome.stage,
        outcome.stage === 'refused' ? JSON.stringify(outcome.refusal) : null,
        outcome.stage === 'failed' ? outcome.failure : null,
        token,
      ],
    );
    return r.rows[0] ?? null;
  },

  async markDone(
    tx: Queryable,
    id: string,
    token: string,
    o: { outputKey: string; sha256: string; bytes: number; ledgerPayload: string },
  ): Promise<boolean> {
    const r = await tx.query(
      `update generations set stage = 'done', progress = 1, output_key = $3, output_sha256 = $4, output_bytes = $5,
              ledger_payload = $6, finished_at = now(), updated_at = now()
        where id = $1 and attempt_token = $2 and ${LIVE}`,
      [id, token, o.outputKey, o.sha256, o.bytes, o.ledgerPayload],
    );
    return r.rowCount > 0;
  },

  async takeDown(tx: Queryable, id: string): Promise<GenerationRow | null> {
    const r = await tx.query<GenerationRow>(
      `update generations set output_key = null, taken_down_at = now(), updated_at = now()
        where id = $1 and stage = 'done' and taken_down_at is null returning *`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  /** Puts an ended row back in the queue for an operator's retry. */
  async requeue(tx: Queryable, id: string): Promise<GenerationRow | null> {
    const r = await tx.query<GenerationRow>(
      `update generations set stage = 'queued', progress = 0, refusal = null, failure = null, attempt_token = null,
              finished_at = null, updated_at = now() where id = $1 and stage = 'failed' returning *`,
      [id],
    );
    return r.rows[0] ?? null;
  },

  async addEvent(
    tx: Queryable,
    e: {
      generationId: string;
      stage: string;
      decision: string;
      progress: number;
      message?: string | null;
      details?: Record<string, unknown>;
    },
  ): Promise<number> {
    const r = await tx.query<{ id: string }>(
      `insert into generation_events (generation_id, stage, decision, progress, message, details)
       values ($1,$2,$3,$4,$5,$6) returning id`,
      [e.generationId, e.stage, e.decision, e.progress, e.message ?? null, JSON.stringify(e.details ?? {})],
    );
    return Number(r.rows[0]!.id);
  },

  async eventsAfter(db: Queryable, generationId: string, afterId: number, limit = 200): Promise<EventRow[]> {
    const r = await db.query<EventRow>(
      'select * from generation_events where generation_id = $1 and id > $2 order by id limit $3',
      [generationId, afterId, limit],
    );
    return r.rows;
  },

  async listByCameo(db: Queryable, cameoId: string, limit: number): Promise<GenerationRow[]> {
    const r = await db.query<GenerationRow>(
      'select * from generations where $1 = any(cameo_ids) order by created_at desc limit $2',
      [cameoId, limit],
    );
    return r.rows;
  },

  async listByRequester(db: Queryable, requesterId: string, limit: number): Promise<GenerationRow[]> {
    const r = await db.query<GenerationRow>(
      'select * from generations where requester_id = $1 order by created_at desc limit $2',
      [requesterId, limit],
    );
    return r.rows;
  },

  async liveWithCameo(db: Queryable, cameoId: string): Promise<GenerationRow[]> {
    const r = await db.query<GenerationRow>(
      `select * from generations where $1 = any(cameo_ids) and ${LIVE}`,
      [cameoId],
    );
    return r.rows;
  },

  async stageCounts(db: Queryable): Promise<Record<string, number>> {
    const r = await db.query<{ stage: string; n: string }>(
      'select stage, count(*) as n from generations group by stage',
    );
    return Object.fromEntries(r.rows.map((x) => [x.stage, Number(x.n)]));
  },

  /** Serialises one creator's requests so two concurrent posts cannot both pass the limit. */
  async lockRequester(tx: Queryable, requesterId: string): Promise<void> {
    await tx.query(`select pg_advisory_xact_lock(727274005, hashtext($1))`, [requesterId]);
  },

  async usage(
    tx: Queryable,
    requesterId: string,
  ): Promise<{ lastMinute: number; lastDay: number; active: number }> {
    const r = await tx.query<{ m: string; d: string; a: string }>(
      `select count(*) filter (where created_at > now() - interval '1 minute') as m,
              count(*) filter (where created_at > now() - interval '1 day') as d,
              count(*) filter (where ${LIVE}) as a
         from generations where requester_id = $1 and created_at > now() - interval '1 day' or (requester_id = $1 and ${LIVE})`,
      [requesterId],
    );
    const x = r.rows[0]!;
    return { lastMinute: Number(x.m), lastDay: Number(x.d), active: Number(x.a) };
  },

  async limitsFor(
    db: Queryable,
    accountId: string,
  ): Promise<{ own: GenerationLimits | null; fallback: GenerationLimits | null }> {
    const r = await db.query<{
      account_id: string | null;
      per_minute: number;
      per_day: number;
      max_active: number;
    }>('select * from generation_limits where account_id = $1 or account_id is null', [accountId]);
    const map = (x?: { per_minute: number; per_day: number; max_active: number }) =>
      x ? { perMinute: x.per_minute, perDay: x.per_day, maxActive: x.max_active } : null;
    return {
      own: map(r.rows.find((x) => x.account_id !== null)),
      fallback: map(r.rows.find((x) => x.account_id === null)),
    };
  },

  async setLimits(tx: Queryable, accountId: string | null, l: GenerationLimits): Promise<void> {
    await tx.query(
      accountId
        ? 'delete from generation_limits where account_id = $1'
        : 'delete from generation_limits where account_id is null',
      accountId ? [accountId] : [],
    );
    await tx.query(
      'insert into generation_limits (account_id, per_minute, per_day, max_active) values ($1,$2,$3,$4)',
      [accountId, l.perMinute, l.perDay, l.maxActive],
    );
  },

  async addPendingOutput(db: Queryable, blobKey: string, generationId: string, token: string): Promise<void> {
    await db.query(
      'insert into generation_pending_outputs (blob_key, generation_id, attempt_token) values ($1,$2,$3) on conflict do nothing',
      [blobKey, generationId, token],
    );
  },

  async removePendingOutput(tx: Queryable, blobKey: string, token: string): Promise<void> {
    await tx.query('delete from generation_pending_outputs where blob_key = $1 and attempt_token = $2', [
      blobKey,
      token,
    ]);
  },

  /** Intents older than the grace period: their attempt died between the blob put and the commit. */
  async stalePendingOutputs(
    db: Queryable,
    olderThanSec: number,
  ): Promise<{ blob_key: string; attempt_token: string; referenced: boolean }[]> {
    const r = await db.query<{ blob_key: string; attempt_token: string; referenced: boolean }>(
      `select p.blob_key, p.attempt_token,
              exists (select 1 from generations g where g.output_key = p.blob_key) as referenced
         from generation_pending_outputs p
        where p.created_at < now() - ($1::int * interval '1 second')`,
      [olderThanSec],
    );
    return r.rows;
  },

  async isOutputReferenced(db: Queryable, blobKey: string): Promise<boolean> {
    const r = await db.query('select 1 from generations where output_key = $1 limit 1', [blobKey]);
    return r.rowCount > 0;
  },
};
