import crypto from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  at: string;
  actorId: string | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  details: unknown;
}

/** JSON with object keys sorted, so a jsonb round trip (which reorders keys) hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export function auditRowHash(prevHash: string, id: number, f: AuditFields): string {
  const body = canonicalJson({
    id,
    at: f.at,
    actorId: f.actorId,
    action: f.action,
    subjectType: f.subjectType,
    subjectId: f.subjectId,
    details: f.details,
  });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
