import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { loadConfig } from '../../../src/config/config';
import { createPostgresDatabase } from '../../../src/db/postgres';
import type { Database } from '../../../src/db/database';
import { createApp } from '../../../src/http/app';
import { createRuntime, type Runtime } from '../../../src/runtime/runtime';
import { quietLogger, signUp, type Backend, type TestService } from '../../helpers/runtime';

export interface Account {
  id: string;
  handle: string;
  token: string;
  auth: { authorization: string };
}

/**
 * Two whole services (two runtimes, two apps, two in-memory registry indexes) on one database:
 * on PostgreSQL two connection pools on one schema, on PGlite the one embedded database. They
 * share the secrets, as every API and worker process of one deployment does.
 */
export async function startServicePair(
  backend: Backend,
): Promise<{ a: TestService; b: TestService; close(): Promise<void> }> {
  const { db, drop, searchPath } = await backend.openDb();
  const secrets = {
    CONSENTRY_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    CONSENTRY_MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    CONSENTRY_WATERMARK_KEY: crypto.randomBytes(32).toString('hex'),
  };
  const prefix = `t${crypto.randomBytes(5).toString('hex')}`;
  const dirs: string[] = [];
  const dbs: Database[] = [];
  async function one(second: boolean): Promise<TestService> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentry-optout-'));
    dirs.push(dataDir);
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      CONSENTRY_QUEUE_PREFIX: prefix,
      ...(backend.redisUrl ? { REDIS_URL: backend.redisUrl } : {}),
      ...secrets,
    });
    let instanceDb = db;
    if (second && searchPath && process.env.DATABASE_URL) {
      instanceDb = createPostgresDatabase(process.env.DATABASE_URL, { searchPath, max: 3 });
      dbs.push(instanceDb);
    }
    const rt: Runtime = await createRuntime(config, { db: instanceDb, logger: quietLogger });
    await rt.queue.startWorker();
    const app: Express = createApp(rt);
    return { rt, app, config, dataDir, searchPath, close: async () => rt.close() };
  }
  const a = await one(false);
  const b = await one(true);
  return {
    a,
    b,
    async close() {
      await b.rt.close();
      await a.rt.close();
      for (const d of dbs) await d.close();
      await drop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A rightsholder account: signed up as a creator, then granted the role by an operator over HTTP. */
export async function rightsholder(app: Express, operator: Account): Promise<Account> {
  const acc = await signUp(app, ['creator']);
  await request(app)
    .post(`/v1/accounts/${acc.id}/roles`)
    .set(operator.auth)
    .send({ role: 'rightsholder' })
    .expect(200);
  return acc;
}

/** Polls until fn resolves true, or fails after timeoutMs: the propagation promise is 5 s. */
export async function eventually(
  fn: () => Promise<boolean>,
  timeoutMs = 5000,
  stepMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export async function check(
  app: Express,
  who: Account,
  prompt: string,
): Promise<{
  allowed: boolean;
  matches: { entryId: string; name: string; rule: string; message: string; span?: { text: string } }[];
}> {
  const r = await request(app).post('/v1/policy/check').set(who.auth).send({ prompt });
  if (r.status !== 200) throw new Error(`policy check answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Sends exact bytes (supertest would re-serialise a Buffer given with a JSON content type). */
export async function rawPost(
  app: Express,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; body: any }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers,
      body: new Uint8Array(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}
