import client from 'prom-client';

/** One registry per process, shared by HTTP, jobs and domains. */
export const metricsRegistry = new client.Registry();
client.collectDefaultMetrics({ register: metricsRegistry });

export const httpDuration = new client.Histogram({
  name: 'consentry_http_request_duration_seconds',
  help: 'HTTP request duration by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const jobsProcessed = new client.Counter({
  name: 'consentry_jobs_total',
  help: 'Jobs processed by name and outcome',
  labelNames: ['job', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new client.Histogram({
  name: 'consentry_job_duration_seconds',
  help: 'Job handler duration by name',
  labelNames: ['job'] as const,
  buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [metricsRegistry],
});
