import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ledgerRepository } from '../../../src/ledger';
import { detectFile } from '../../../src/watermark';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { seedCameo, type Account } from './generation-helpers';
import { expireJobLocks, spawnWorker, waitFor, type WorkerProcess } from './worker-process';

jest.setTimeout(900000);

const pg = backends().find((b) => b.name === 'postgres' && b.redisUrl);
const maybe = pg ? describe : describe.skip;

const POINTS = ['policy', 'consent', 'rendering', 'scanning', 'stamping', 'stamping:afterPut'] as const;
const TERMINAL = ['done', 'refused', 'failed'];

maybe('generation workers as separate processes (PostgreSQL + Redis)', () => {
  let svc: TestService;
  let owner: Account;
  let creator: Account;
  let cameoId: string;
  const workers: WorkerProcess[] = [];

  const row = async (id: string) =>
    (
      await svc.rt.db.query<{
        stage: string;
        attempts: number;
        output_key: string | null;
        failure: string | null;
      }>('select stage, attempts, output_key, failure from generations where id = $1', [id])
    ).rows[0]!;
  const ledgerCount = async (ids: string[]) =>
    Number(
      (
        await svc.rt.db.query<{ n: string }>(
          'select count(*) as n from ledger_entries where generation_id = any($1)',
          [ids],
        )
      ).rows[0]!.n,
    );
  const post = async (prompt: string) =>
    (
      await request(svc.app)
        .post('/v1/generations')
        .set(creator.auth)
        .send({ prompt, durationSec: 2, aspect: '1:1', seed: 3 })
        .expect(202)
    ).body.id as string;
  const allEnded = (ids: string[]) =>
    waitFor(
      `${ids.length} generations to end`,
      async () => (await Promise.all(ids.map(row))).every((r) => TERMINAL.includes(r.stage)),
      600000,
      1000,
    );

  beforeAll(async () => {
    // The suite outlives the default 15-minute token on a loaded machine.
    svc = await startTestService(pg!, { CONSENTRY_JWT_TTL_SECONDS: '86400' }, { startWorker: false });
    owner = await signUp(svc.app, ['cameo_owner']);
    creator = await signUp(svc.app, ['creator']);
    cameoId = await seedCameo(svc.rt, svc.app, owner, 'obama');
    const op = await makeOperator(svc);
    await request(svc.app)
      .put(`/v1/operator/generation-limits/${creator.id}`)
      .set(op.auth)
      .send({ perMinute: 1000, perDay: 10000, maxActive: 1000 })
      .expect(200);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a worker killed in any stage delivers nothing; the retried job delivers each clip once, stamped, and leaves no orphan', async () => {
    const ids: Record<string, string> = {};
    const w1 = spawnWorker(svc, { CONSENTRY_JOB_CONCURRENCY: String(POINTS.length) });
    workers.push(w1);
    for (const p of POINTS) ids[p] = await post(`@${owner.handle} by a lake [test-hold:${p}]`);

    // Every generation parked at its point inside the first worker.
    for (const p of POINTS) {
      await waitFor(`generation held at ${p}`, async () => {
        if (p === 'stamping:afterPut') {
          // The pending row is written before the blob is put: held after the put means both exist.
          const r = await svc.rt.db.query<{ blob_key: string }>(
            'select blob_key from generation_pending_outputs where generation_id = $1',
            [ids[p]],
          );
          return r.rowCount > 0 && (await svc.rt.blobs.has(r.rows[0]!.blob_key));
        }
        return (await row(ids[p]!)).stage === p;
      });
    }
    const orphan = (
      await svc.rt.db.query<{ blob_key: string }>(
        'select blob_key from generation_pending_outputs where generation_id = $1',
        [ids['stamping:afterPut']],
      )
    ).rows[0]!.blob_key;
    expect(await svc.rt.blobs.has(orphan)).toBe(true);

    await w1.kill();

    // Dead mid-stage: nothing delivered, nothing in the ledger, nothing fetchable.
    const all = Object.values(ids);
    for (const id of all) {
      expect(TERMINAL).not.toContain((await row(id)).stage);
      await request(svc.app).get(`/v1/generations/${id}/output`).set(creator.auth).expect(409);
    }
    expect(await ledgerCount(all)).toBe(0);

    await expireJobLocks(svc);
    const w2 = spawnWorker(svc, { GENERATION_TEST_HOLD_MS: '0' });
    workers.push(w2);
    await allEnded(all);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-crash-'));
    try {
      for (const [p, id] of Object.entries(ids)) {
        const r = await row(id);
        expect({ point: p, stage: r.stage, failure: r.failure }).toEqual({
          point: p,
          stage: 'done',
          failure: null,
        });
        expect(r.attempts).toBeGreaterThanOrEqual(2);
        const delivered = await svc.rt.db.query(
          "select 1 from generation_events where generation_id = $1 and decision = 'delivered'",
          [id],
        );
        expect(delivered.rowCount).toBe(1);
        const entry = await ledgerRepository.findByGenerationId(svc.rt.db, id);
        const file = path.join(tmp, `${id}.mp4`);
        fs.writeFileSync(file, await svc.rt.blobs.read(r.output_key!));
        const manifest = await svc.rt.provenance.readFile(file);
        expect(manifest.verdict).toBe('valid_trusted');
        expect(manifest.generationId).toBe(id);
        const mark = await detectFile(file, svc.rt.secrets.watermarkKey, { maxSeconds: 2 });
        expect(mark.payloadHex).toBe(entry!.payloadHex);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    expect(await ledgerCount(all)).toBe(all.length);

    // The clip the dead worker had put but not committed is swept (by the scheduled sweep job if
    // it already ran, else now); delivered clips stay.
    await svc.rt.generation.sweep({ pendingGraceSec: 0, stuckAfterSec: 3600 });
    expect(await svc.rt.blobs.has(orphan)).toBe(false);
    expect((await svc.rt.db.query('select 1 from generation_pending_outputs')).rowCount).toBe(0);
    for (const id of all) expect(await svc.rt.blobs.has((await row(id)).output_key!)).toBe(true);
  });

  it('two workers on one Redis share the jobs without running any twice', async () => {
    const a = spawnWorker(svc, { CONSENTRY_JOB_CONCURRENCY: '1' });
    const b = spawnWorker(svc, { CONSENTRY_JOB_CONCURRENCY: '1' });
    workers.push(a, b);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await post(`@${owner.handle} in a garden, take ${i}`));
    await allEnded(ids);
    for (const id of ids) expect(await row(id)).toMatchObject({ stage: 'done', failure: null });
    const starts = await svc.rt.db.query<{ generation_id: string; details: { worker: string } }>(
      "select generation_id, details from generation_events where generation_id = any($1) and decision = 'started'",
      [ids],
    );
    expect(starts.rows).toHaveLength(ids.length);
    expect(new Set(starts.rows.map((s) => s.generation_id)).size).toBe(ids.length);
    expect(new Set(starts.rows.map((s) => s.details.worker)).size).toBe(2);
    for (const id of ids) expect(await row(id)).toMatchObject({ stage: 'done', failure: null, attempts: 1 });
    expect(await ledgerCount(ids)).toBe(ids.length);
  });

  it('revoking a cameo while 50 generations with it are queued or running lets none complete', async () => {
    const a = spawnWorker(svc, { CONSENTRY_JOB_CONCURRENCY: '2' });
    const b = spawnWorker(svc, { CONSENTRY_JOB_CONCURRENCY: '2' });
    workers.push(a, b);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await post(`@${owner.handle} dancing, clip ${i}`));
    await waitFor('a generation to be rendering or later', async () => {
      const r = await svc.rt.db.query(
        "select 1 from generations where id = any($1) and stage in ('rendering','scanning','stamping')",
        [ids],
      );
      return r.rowCount > 0;
    });
    await request(svc.app).post(`/v1/cameos/${cameoId}/revoke`).set(owner.auth).expect(200);
    await allEnded(ids);
    const stages = await svc.rt.db.query<{ stage: string; n: string }>(
      'select stage, count(*) as n from generations where id = any($1) group by stage',
      [ids],
    );
    expect(stages.rows.map((s) => s.stage)).toEqual(['refused']);
    expect(await ledgerCount(ids)).toBe(0);
    const outputs = await svc.rt.db.query(
      'select 1 from generations where id = any($1) and output_key is not null',
      [ids],
    );
    expect(outputs.rowCount).toBe(0);
    // Whatever a running attempt had put before it noticed is recorded for the sweeper.
    await svc.rt.generation.sweep({ pendingGraceSec: 0, stuckAfterSec: 3600 });
    expect(
      (await svc.rt.db.query('select 1 from generation_pending_outputs where generation_id = any($1)', [ids]))
        .rowCount,
    ).toBe(0);
  });
});
