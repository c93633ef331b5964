import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import IORedis from 'ioredis';
import type { TestService } from '../../helpers/runtime';

const ROOT = path.resolve(__dirname, '../../..');

/** The DATABASE_URL of a test service's schema, for a separate process. */
export function schemaUrl(svc: TestService): string {
  const u = new URL(process.env.DATABASE_URL!);
  u.searchParams.set('options', `-c search_path=${svc.searchPath}`);
  return u.toString();
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL to the whole process group: no shutdown hook runs. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `consentry worker` as its own process, on the test service's schema, data folder and queue prefix. */
export function spawnWorker(svc: TestService, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'worker'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: svc.dataDir,
      DATABASE_URL: schemaUrl(svc),
      REDIS_URL: process.env.REDIS_URL!,
      CONSENTRY_QUEUE_PREFIX: svc.config.CONSENTRY_QUEUE_PREFIX,
      CONSENTRY_JOB_CONCURRENCY: '2',
      ...env,
    },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
    await exited;
  };
  return { child, output: () => out, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}

/**
 * What BullMQ does once a dead worker's lock expires (30 s): the lock key goes away, and the next
 * stalled-job check of a live worker puts the job back in the queue. Deleting the lock now saves
 * the wait without changing what happens next.
 */
export async function expireJobLocks(svc: TestService): Promise<number> {
  const redis = new IORedis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  try {
    const keys = await redis.keys(`${svc.config.CONSENTRY_QUEUE_PREFIX}:jobs:*:lock`);
    if (keys.length) await redis.del(...keys);
    return keys.length;
  } finally {
    redis.disconnect();
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 300000,
  everyMs = 300,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
