import { z } from 'zod';
import type { JobDefinition } from '../queue/job-registry';

export const JOB_ANALYSE_ENROLLMENT = 'consent.analyse-enrollment';

export const analyseEnrollmentPayload = z.strictObject({ enrollmentId: z.string().uuid() });

export function consentJobs(run: {
  runAnalysis(enrollmentId: string, ctx: { attempt: number; maxAttempts: number }): Promise<void>;
}): JobDefinition[] {
  return [
    {
      name: JOB_ANALYSE_ENROLLMENT,
      schema: analyseEnrollmentPayload,
      // One retry for a crashed worker; a recording that fails twice is rejected with a reason.
      attempts: 2,
      backoffMs: 500,
      handler: (p: z.infer<typeof analyseEnrollmentPayload>, ctx) => run.runAnalysis(p.enrollmentId, ctx),
    },
  ];
}
