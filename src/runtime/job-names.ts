/**
 * Every job the system knows. Startup refuses a registry that lacks a handler for one of these
 * or has a handler for a name not listed, so a typo can never strand jobs in a queue.
 */
export const JOB_NAMES = [
  'audit.verify-chain',
  'consent.analyse-enrollment',
  'generation.run',
  'generation.sweep',
] as const;
export type JobName = (typeof JOB_NAMES)[number];
