import { z } from 'zod';
import type { Database } from '../db/database';
import type { ApiRouter } from '../http/api-router';
import { listAudit, verifyAuditChain } from './audit-repository';

const chainReportSchema = z.object({
  ok: z.boolean(),
  rowsChecked: z.number(),
  firstBrokenId: z.number().nullable(),
  reason: z.string().nullable(),
});

export function registerAuditRoutes(api: ApiRouter, db: Database): void {
  api.route(
    {
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Verify the audit hash chain and name the first broken row (operators)',
      tags: ['audit'],
      auth: ['operator'],
      response: chainReportSchema,
    },
    () => verifyAuditChain(db),
  );

  api.route(
    {
      method: 'get',
      path: '/v1/audit',
      summary: 'Read the audit log, newest first (operators)',
      tags: ['audit'],
      auth: ['operator'],
      query: z.strictObject({
        subjectType: z.string().max(64).optional(),
        subjectId: z.string().max(200).optional(),
        beforeId: z.coerce.number().int().positive().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({
        entries: z.array(
          z.object({
            id: z.number(),
            at: z.string(),
            actorId: z.string().nullable(),
            action: z.string(),
            subjectType: z.string().nullable(),
            subjectId: z.string().nullable(),
            details: z.unknown(),
            hash: z.string(),
          }),
        ),
      }),
    },
    async ({ query }) => ({
      entries: (await listAudit(db, query)).map((r) => ({
        id: Number(r.id),
        at: new Date(r.at).toISOString(),
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        details: r.details,
        hash: r.hash,
      })),
    }),
  );
}
