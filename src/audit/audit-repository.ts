import type { Queryable } from '../db/database';
import { auditRowHash, GENESIS_HASH, type AuditFields } from './audit-hash';

export interface AuditEntry {
  actorId?: string | null;
  action: string;
  subjectType?: string | null;
  subjectId?: string | null;
  /** Never biometric data, secrets or tokens: ids, reasons and counts only. */
  details?: Record<string, unknown>;
}

interface AuditRow {
  id: number;
  at: Date;
  actor_id: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
}

/**
 * Appends one audit row inside the caller's transaction. The transaction-scoped advisory lock
 * serialises writers so that two concurrent appends cannot both chain onto the same row.
 */
export async function appendAudit(tx: Queryable, e: AuditEntry): Promise<number> {
  await tx.query('select pg_advisory_xact_lock(727274002)');
  const last = await tx.query<{ hash: string }>('select hash from audit_log order by id desc limit 1');
  const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const idRow = await tx.query<{ id: number }>(`select nextval('audit_log_id_seq')::int as id`);
  const id = Number(idRow.rows[0].id);
  const fields: AuditFields = {
    at: new Date().toISOString(),
    actorId: e.actorId ?? null,
    action: e.action,
    subjectType: e.subjectType ?? null,
    subjectId: e.subjectId ?? null,
    details: e.details ?? {},
  };
  const hash = auditRowHash(prevHash, id, fields);
  await tx.query(
    `insert into audit_log (id, at, actor_id, action, subject_type, subject_id, details, prev_hash, hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      fields.at,
      fields.actorId,
      fields.action,
      fields.subjectType,
      fields.subjectId,
      JSON.stringify(fields.details),
      prevHash,
      hash,
    ],
  );
  return id;
}

export interface ChainReport {
  ok: boolean;
  rowsChecked: number;
  firstBrokenId: number | null;
  reason: string | null;
}

/** Walks the chain in id order, in pages, and names the first row whose hash or link does not hold. */
export async function verifyAuditChain(db: Queryable, pageSize = 1000): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let afterId = 0;
  let checked = 0;
  for (;;) {
    const page = await db.query<AuditRow>('select * from audit_log where id > $1 order by id asc limit $2', [
      afterId,
      pageSize,
    ]);
    for (const r of page.rows) {
      const id = Number(r.id);
      if (r.prev_hash !== prev) {
        return {
          ok: false,
          rowsChecked: checked,
          firstBrokenId: id,
          reason: 'link to the previous row is broken',
        };
      }
      const expected = auditRowHash(prev, id, {
        at: new Date(r.at).toISOString(),
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
      });
      if (expected !== r.hash) {
        return {
          ok: false,
          rowsChecked: checked,
          firstBrokenId: id,
          reason: 'row content does not match its hash',
        };
      }
      prev = r.hash;
      checked++;
      afterId = id;
    }
    if (page.rows.length < pageSize) break;
  }
  return { ok: true, rowsChecked: checked, firstBrokenId: null, reason: null };
}

export async function listAudit(
  db: Queryable,
  q: { subjectType?: string; subjectId?: string; limit: number; beforeId?: number },
): Promise<AuditRow[]> {
  const r = await db.query<AuditRow>(
    `select * from audit_log
      where ($1::text is null or subject_type = $1) and ($2::text is null or subject_id = $2)
        and ($3::bigint is null or id < $3)
      order by id desc limit $4`,
    [q.subjectType ?? null, q.subjectId ?? null, q.beforeId ?? null, q.limit],
  );
  return r.rows;
}
