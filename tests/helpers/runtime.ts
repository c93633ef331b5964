import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../src/config/config';
import type { Database } from '../../src/db/database';
import { createPgliteDatabase } from '../../src/db/pglite';
import { createPostgresDatabase } from '../../src/db/postgres';
import { createApp } from '../../src/http/app';
import { createRuntime, type Runtime } from '../../src/runtime/runtime';

/**
 * The backends a test suite runs against: embedded PGlite with the in-process job runner always,
 * and PostgreSQL with BullMQ when DATABASE_URL and REDIS_URL are set (as in CI).
 */
export interface Backend {
  name: 'embedded' | 'postgres';
  openDb(): Promise<{ db: Database; drop(): Promise<void>; searchPath?: string }>;
  redisUrl?: string;
}

export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'embedded',
      async openDb() {
        const db = await createPgliteDatabase(null);
        return { db, drop: async () => undefined };
      },
    },
  ];
  const url = process.env.DATABASE_URL;
  if (url) {
    list.push({
      name: 'postgres',
      redisUrl: process.env.REDIS_URL,
      async openDb() {
        const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
        const admin = createPostgresDatabase(url, { max: 1 });
        await admin.query(`create schema ${schema}`);
        await admin.close();
        const db = createPostgresDatabase(url, { searchPath: schema, max: 5 });
        return {
          db,
          searchPath: schema,
          async drop() {
            await db.close();
            const a = createPostgresDatabase(url, { max: 1 });
            await a.query(`drop schema ${schema} cascade`);
            await a.close();
          },
        };
      },
    });
  }
  return list;
}

export interface TestService {
  rt: Runtime;
  app: Express;
  config: Config;
  dataDir: string;
  searchPath?: string;
  close(): Promise<void>;
}

export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A whole service (runtime + HTTP app) on a backend, with its own data folder, schema and queue prefix. */
export async function startTestService(
  backend: Backend,
  env: Record<string, string> = {},
  opts: { startWorker?: boolean } = {},
): Promise<TestService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentry-test-'));
  const { db, drop, searchPath } = await backend.openDb();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    CONSENTRY_QUEUE_PREFIX: `t${crypto.randomBytes(5).toString('hex')}`,
    ...(backend.redisUrl ? { REDIS_URL: backend.redisUrl } : {}),
    ...env,
  });
  const rt = await createRuntime(config, { db, logger: quietLogger });
  if (opts.startWorker !== false) await rt.queue.startWorker();
  const app = createApp(rt);
  return {
    rt,
    app,
    config,
    dataDir,
    searchPath,
    async close() {
      await rt.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
export function uniqueHandle(prefix = 'user'): string {
  return `${prefix}_${process.pid % 1000}_${Date.now() % 100000}_${seq++}`.slice(0, 30);
}

/** Signs up an account and returns it with a bearer token. */
export async function signUp(
  app: Express,
  roles: string[] = ['creator'],
  handle = uniqueHandle(),
): Promise<{ id: string; handle: string; token: string; auth: { authorization: string } }> {
  const password = 'a long enough password';
  const r = await request(app).post('/v1/accounts').send({ handle, password, roles }).expect(201);
  const t = await request(app).post('/v1/auth/token').send({ handle, password }).expect(200);
  return {
    id: r.body.id,
    handle,
    token: t.body.accessToken,
    auth: { authorization: `Bearer ${t.body.accessToken}` },
  };
}

/** An operator made the way the first operator is: through the service, not HTTP. */
export async function makeOperator(
  svc: TestService,
): Promise<{ id: string; handle: string; token: string; auth: { authorization: string } }> {
  const handle = uniqueHandle('op');
  const password = 'operator password long';
  const a = await svc.rt.accounts.createOperator({ handle, password });
  const t = await request(svc.app).post('/v1/auth/token').send({ handle, password }).expect(200);
  return {
    id: a.id,
    handle,
    token: t.body.accessToken,
    auth: { authorization: `Bearer ${t.body.accessToken}` },
  };
}

/** Grants a role through the operator API. */
export async function grantRole(svc: TestService, accountId: string, role: string): Promise<void> {
  const op = await makeOperator(svc);
  await request(svc.app).post(`/v1/accounts/${accountId}/roles`).set(op.auth).send({ role }).expect(200);
}
