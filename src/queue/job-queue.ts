export interface EnqueueOptions {
  /** Derived from the work (e.g. "generation-<id>"), so enqueuing the same work twice runs it once. */
  jobId: string;
  delayMs?: number;
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

export interface JobSummary {
  id: string;
  name: string;
  state: JobState;
  attemptsMade: number;
  enqueuedAt: string;
  failedReason: string | null;
}

export interface QueueStats {
  counts: Record<JobState, number>;
  oldestWaiting: JobSummary | null;
  recentFailures: JobSummary[];
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  enqueue(name: string, payload: unknown, opts: EnqueueOptions): Promise<void>;
  /** Starts consuming jobs in this process. */
  startWorker(): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Re-runs a failed job. Returns false when no failed job has that id. */
  retry(jobId: string): Promise<boolean>;
  /** Removes a job that has not started. Returns false when it is running or unknown. */
  cancel(jobId: string): Promise<boolean>;
  ping(): Promise<boolean>;
  /** Stops taking jobs and waits for those in flight to finish (or returns them to the queue). */
  close(): Promise<void>;
}

export function safeJobId(id: string): string {
  // BullMQ reserves ':' in ids; numeric-only ids clash with its own counters.
  const s = id.replace(/[^A-Za-z0-9_.-]/g, '-');
  return /^\d+$/.test(s) ? `j-${s}` : s;
}
