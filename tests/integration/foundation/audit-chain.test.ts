import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { appendAudit, verifyAuditChain } from '../../../src/audit/audit-repository';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';

describe.each(backends())('audit hash chain ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend);
  });
  afterAll(() => svc.close());

  it('writes the audit row in the same transaction as the state change, and rolls both back together', async () => {
    const before = (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from audit_log')).rows[0]
      .n;
    await expect(
      svc.rt.db.transaction(async (tx) => {
        await appendAudit(tx, { action: 'test.will_roll_back', subjectType: 'test', subjectId: 'x' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from audit_log')).rows[0]
      .n;
    expect(after).toBe(before);
  });

  it('refuses updates and deletes of audit rows', async () => {
    await signUp(svc.app);
    await expect(
      svc.rt.db.query(`update audit_log set action = 'x' where id = (select min(id) from audit_log)`),
    ).rejects.toThrow(/append-only/);
    await expect(svc.rt.db.query('delete from audit_log')).rejects.toThrow(/append-only/);
  });

  it('keeps the chain intact under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 8 }, () => signUp(svc.app)));
    const report = await verifyAuditChain(svc.rt.db);
    expect(report).toMatchObject({ ok: true, firstBrokenId: null });
    expect(report.rowsChecked).toBeGreaterThanOrEqual(8);
  });

  it('names the first tampered row, through the operator endpoint', async () => {
    const op = await makeOperator(svc);
    await signUp(svc.app);
    await signUp(svc.app);
    const ok = await request(svc.app).get('/v1/audit/verify').set(op.auth).expect(200);
    expect(ok.body.ok).toBe(true);
    const ids = (await svc.rt.db.query<{ id: number }>('select id from audit_log order by id')).rows.map(
      (r) => Number(r.id),
    );
    const victim = ids[Math.floor(ids.length / 2)];
    // An attacker with database access disables the guard and edits history.
    await svc.rt.db.query('alter table audit_log disable trigger audit_log_no_update');
    await svc.rt.db.query(`update audit_log set details = '{"handle":"someone_else"}'::jsonb where id = $1`, [
      victim,
    ]);
    await svc.rt.db.query('alter table audit_log enable trigger audit_log_no_update');
    const broken = await request(svc.app).get('/v1/audit/verify').set(op.auth).expect(200);
    expect(broken.body).toMatchObject({
      ok: false,
      firstBrokenId: victim,
      reason: 'row content does not match its hash',
    });
  });
});

describe('audit verify command', () => {
  const pgOnly = process.env.DATABASE_URL ? it : it.skip;
  // The command needs a database another process can open, so this runs on PostgreSQL only.
  pgOnly('exits 1 and names the broken row, 0 when intact', async () => {
    const run = (schema: string) =>
      spawnSync(process.execPath, [path.resolve('bin/consentry.js'), 'audit', 'verify', '--json'], {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          DATABASE_URL: `${process.env.DATABASE_URL}${process.env.DATABASE_URL!.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`,
          REDIS_URL: '',
          DATA_DIR: path.join(require('node:os').tmpdir(), `consentry-cli-${schema}`),
          LOG_LEVEL: 'silent',
        },
        encoding: 'utf8',
        timeout: 60000,
      });
    {
      const pg = backends().find((b) => b.name === 'postgres')!;
      const svc = await startTestService(pg);
      try {
        await signUp(svc.app);
        await signUp(svc.app);
        const good = run(svc.searchPath!);
        expect({ status: good.status, out: JSON.parse(good.stdout) }).toMatchObject({
          status: 0,
          out: { ok: true },
        });
        const id = Number(
          (await svc.rt.db.query<{ id: number }>('select max(id) as id from audit_log')).rows[0].id,
        );
        await svc.rt.db.query('alter table audit_log disable trigger audit_log_no_update');
        await svc.rt.db.query(`update audit_log set action = 'account.deleted' where id = $1`, [id]);
        await svc.rt.db.query('alter table audit_log enable trigger audit_log_no_update');
        const bad = run(svc.searchPath!);
        expect({ status: bad.status, out: JSON.parse(bad.stdout) }).toMatchObject({
          status: 1,
          out: { ok: false, firstBrokenId: id },
        });
      } finally {
        await svc.close();
      }
    }
  });
});
