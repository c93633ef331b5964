import { z } from 'zod';
import client from 'prom-client';
import type { Database } from '../db/database';
import { metricsRegistry } from '../observability/metrics';
import type { JobDefinition } from '../queue/job-registry';
import { verifyAuditChain } from './audit-repository';

const chainBroken = new client.Gauge({
  name: 'consentry_audit_chain_broken',
  help: '1 when the last background check found the audit hash chain broken',
  registers: [metricsRegistry],
});

/** Background integrity check of the audit chain; workers schedule it hourly (the hour is the job id). */
export function auditJobs(db: Database): JobDefinition[] {
  return [
    {
      name: 'audit.verify-chain',
      schema: z.strictObject({ requestedAt: z.string() }),
      attempts: 2,
      async handler(_payload, ctx) {
        const report = await verifyAuditChain(db);
        chainBroken.set(report.ok ? 0 : 1);
        if (report.ok) ctx.log.info({ rowsChecked: report.rowsChecked }, 'audit chain intact');
        else
          ctx.log.error({ firstBrokenId: report.firstBrokenId, reason: report.reason }, 'audit chain broken');
      },
    },
  ];
}

export function hourlyAuditJobId(now = new Date()): string {
  return `audit-verify-${now.toISOString().slice(0, 13)}`;
}
