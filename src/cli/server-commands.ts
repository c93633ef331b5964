import type { Command } from 'commander';
import { hourlyAuditJobId } from '../audit/audit-jobs';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import { createApp } from '../http/app';
import { createLogger } from '../observability/logger';
import { createRuntime, type Runtime } from '../runtime/runtime';
import { loadConfigOrExit } from './runtime-command';

function onShutdown(log: { info(m: string): void }, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: finishing in-flight work`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

async function scheduleAuditCheck(rt: Runtime): Promise<NodeJS.Timeout> {
  const enqueue = () =>
    rt.queue
      .enqueue('audit.verify-chain', { requestedAt: new Date().toISOString() }, { jobId: hourlyAuditJobId() })
      .catch((e) => rt.logger.warn({ err: (e as Error).message }, 'could not schedule the audit check'));
  await enqueue();
  const t = setInterval(enqueue, 10 * 60 * 1000);
  t.unref();
  return t;
}

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP API (and, without REDIS_URL, the job runner in the same process)')
    .action(async () => {
      const config = loadConfigOrExit();
      const logger = createLogger(config.LOG_LEVEL);
      const rt = await createRuntime(config, { logger });
      const runJobsHere = !config.REDIS_URL || config.CONSENTRY_RUN_JOBS_IN_API;
      if (runJobsHere) {
        await rt.queue.startWorker();
        await scheduleAuditCheck(rt);
      }
      const app = createApp(rt);
      const server = app.listen(config.PORT, config.HOST, () => {
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
        logger.info(
          { port, database: rt.db.kind, queue: rt.queue.kind, jobsInThisProcess: runJobsHere },
          `consentry listening on http://localhost:${port}`,
        );
      });
      server.requestTimeout = 10 * 60 * 1000;
      onShutdown(logger, async () => {
        await new Promise<void>((r) => server.close(() => r()));
        await rt.close();
      });
    });

  program
    .command('worker')
    .description('Run a job worker (needs REDIS_URL; start as many as you like)')
    .action(async () => {
      const config = loadConfigOrExit();
      const logger = createLogger(config.LOG_LEVEL);
      if (!config.REDIS_URL) {
        logger.error('the worker needs REDIS_URL; without it `consentry serve` runs jobs in-process');
        process.exit(78);
      }
      const rt = await createRuntime(config, { logger });
      await rt.queue.startWorker();
      await scheduleAuditCheck(rt);
      logger.info(
        { concurrency: config.CONSENTRY_JOB_CONCURRENCY, jobs: rt.registry.names() },
        'worker started',
      );
      onShutdown(logger, () => rt.close());
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(async () => {
      const config = loadConfigOrExit();
      const db = await openDatabase(config);
      try {
        const applied = await migrate(db);
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
        );
      } finally {
        await db.close();
      }
    });
}
