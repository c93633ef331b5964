import request from 'supertest';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { check, rawPost, rightsholder, type Account } from './optout-helpers';

const HEADER = 'id,kind,canonical_name,aliases,descriptions,policy,licensees';

/** A valid CSV row with a distinct, made-up, distinctive name (no real word in it). */
function row(i: number): string {
  const name = `Vorquillax Zentaro ${i.toString(36)}x`;
  return `,character,${name},"Vorq ${i.toString(36)}qz | Zentaro Vq${i.toString(36)}",,block,`;
}

describe.each(backends())('bulk import and export ($name)', (backend) => {
  let svc: TestService;
  let studio: Account;
  let creator: Account;
  let licensee: Account;
  beforeAll(async () => {
    svc = await startTestService(backend, { CONSENTRY_RATE_LIMIT_PER_MINUTE: '5' });
    const operator = await makeOperator(svc);
    studio = await rightsholder(svc.app, operator);
    creator = await signUp(svc.app, ['creator']);
    licensee = await signUp(svc.app, ['creator']);
  });
  afterAll(() => svc.close());

  const count = async () =>
    Number(
      (
        await svc.rt.db.query<{ n: number }>(
          'select count(*)::int as n from optout_entries where owner_id = $1',
          [studio.id],
        )
      ).rows[0].n,
    );

  it('refuses a 10,000-row CSV with broken rows as a whole, naming every broken row, and stores nothing', async () => {
    const lines = [HEADER];
    for (let i = 1; i <= 10_000; i++) lines.push(row(i));
    lines[1 + 17] = ',character,X,,,block,'; // name too short to be distinctive
    lines[1 + 4999] = ',spaceship,Vorquillax Mothership,,,block,'; // unknown kind
    lines[1 + 7000] = ',character,Vorquillax Prime,,,block,ghost_account_nobody'; // licensee with policy block and unknown handle
    lines[1 + 9998] = ',character,"Vorquillax, Short Row"'; // three cells where the header has seven
    const csv = lines.slice(0, -1).join('\n') + '\n,character,Vorquillax Last,,,forbid,\n';
    const r = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send(csv);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('import_rejected');
    expect(r.body.error.details.rows).toBe(10_000);
    const badRows = [...new Set(r.body.error.details.errors.map((e: { row: number }) => e.row))].sort(
      (a, b) => (a as number) - (b as number),
    );
    expect(badRows).toEqual([18, 5000, 7001, 9999, 10_000]);
    expect(r.body.error.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 18, field: 'canonicalName' }),
        expect.objectContaining({ row: 5000, field: 'kind' }),
        expect.objectContaining({
          row: 7001,
          field: 'licensees',
          message: expect.stringMatching(/ghost_account_nobody/),
        }),
        expect.objectContaining({ row: 9999, field: '(row)', message: expect.stringMatching(/3 cells/) }),
        expect.objectContaining({ row: 10_000, field: 'policy' }),
      ]),
    );
    expect(await count()).toBe(0);
    const audit = await svc.rt.db.query(
      `select * from audit_log where action = 'optout.entries_imported' and actor_id = $1`,
      [studio.id],
    );
    expect(audit.rows).toHaveLength(0);
  });

  it('stores only the valid rows when mode=valid-only is asked for explicitly, and they refuse at once', async () => {
    const csv = [
      HEADER,
      row(1),
      ',character,Q,,,block,',
      row(2),
      `,brand,Glimmerquartz Cola,,,licensed_only,${licensee.handle}`,
    ].join('\r\n');
    const r = await request(svc.app)
      .post('/v1/optout/import?mode=valid-only')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send(csv)
      .expect(200);
    expect(r.body).toMatchObject({ mode: 'valid-only', rows: 4, created: 3, updated: 0, rejected: 1 });
    expect(r.body.errors).toEqual([expect.objectContaining({ row: 2, field: 'canonicalName' })]);
    expect(await count()).toBe(3);
    expect((await check(svc.app, creator, 'a can of glimmerquartz cola on ice')).allowed).toBe(false);
    expect((await check(svc.app, licensee, 'a can of glimmerquartz cola on ice')).allowed).toBe(true);
  });

  it('exports CSV and JSON that import back to the same entries (round trip through another account and through itself)', async () => {
    await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({
        kind: 'work',
        canonicalName: 'Les Misérables, "the musical"',
        aliases: ['Les Mis'],
        descriptions: ['barricade song with red flags', 'line one\nline two of it'],
        policy: 'block',
      })
      .expect(201);
    const json = await request(svc.app).get('/v1/optout/export?format=json').set(studio.auth).expect(200);
    expect(json.headers['content-type']).toMatch(/application\/json/);
    const csv = await request(svc.app)
      .get('/v1/optout/export?format=csv')
      .set(studio.auth)
      .buffer(true)
      .parse((res, cb) => {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (t += c));
        res.on('end', () => cb(null, t));
      })
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const strip = (list: { id?: string }[]) =>
      list
        .map(({ id: _id, ...rest }) => rest)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const original = json.body.entries as { id: string }[];
    expect(original).toHaveLength(4);

    // Re-importing the export unchanged updates the same entries and changes nothing.
    const self = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send(csv.body as string)
      .expect(200);
    expect(self.body).toMatchObject({ created: 0, updated: 4, rejected: 0 });
    const again = await request(svc.app).get('/v1/optout/export?format=json').set(studio.auth).expect(200);
    expect(again.body.entries).toEqual(original);

    // Another rightsholder imports the JSON export (ids removed) as a file upload and exports the same content.
    const operator = await makeOperator(svc);
    const other = await rightsholder(svc.app, operator);
    const file = Buffer.from(JSON.stringify({ entries: strip(original) }));
    const imported = await request(svc.app)
      .post('/v1/optout/import')
      .set(other.auth)
      .attach('file', file, { filename: 'entries.json', contentType: 'application/json' })
      .expect(200);
    expect(imported.body).toMatchObject({ created: 4, rejected: 0 });
    const theirs = await request(svc.app).get('/v1/optout/export?format=json').set(other.auth).expect(200);
    expect(strip(theirs.body.entries)).toEqual(strip(original));

    // Ids belong to their owner: importing someone else's ids is a row error, not an edit of their entries.
    const foreign = await request(svc.app)
      .post('/v1/optout/import')
      .set(other.auth)
      .send(original.slice(0, 1));
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details.errors[0]).toMatchObject({ row: 1, field: 'id' });
  });

  it('refuses files that cannot be read with a clear error: not UTF-8, unknown columns, not JSON, wrong content type', async () => {
    const before = await count();
    const latin1 = await rawPost(
      svc.app,
      '/v1/optout/import',
      { ...studio.auth, 'content-type': 'text/csv' },
      Buffer.concat([
        Buffer.from(`${HEADER}\n,character,Caf`),
        Buffer.from([0xe9]),
        Buffer.from(' Zorblaxo,,,block,\n'),
      ]),
    );
    expect(latin1.status).toBe(400);
    expect(latin1.body.error.code).toBe('not_utf8');
    const cols = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send('name,colour\nx,y\n');
    expect(cols.status).toBe(400);
    expect(cols.body.error.message).toMatch(/colour/);
    const unclosed = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send(`${HEADER}\n,character,"Zorblaxo Unclosed,,,block,\n`);
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.error.code).toBe('csv_syntax');
    const notJson = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .attach('file', Buffer.from('[{"kind": '), { filename: 'x.json', contentType: 'application/json' });
    expect(notJson.body.error.code).toBe('invalid_json');
    const xml = await request(svc.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'application/xml')
      .send('<entries/>');
    expect(xml.status).toBe(415);
    expect(await count()).toBe(before);
  });

  it('rate limits policy checks per account (5 a minute here) with 429, leaving other accounts unaffected', async () => {
    const busy = await signUp(svc.app, ['creator']);
    const statuses: number[] = [];
    // 11 requests span at most two one-minute windows, so at most 10 can pass.
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (
          await request(svc.app)
            .post('/v1/policy/check')
            .set(busy.auth)
            .send({ prompt: 'a quiet forest at dawn' })
        ).status,
      );
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const limited = await request(svc.app)
      .post('/v1/policy/check')
      .set(busy.auth)
      .send({ prompt: 'a quiet forest at dawn' });
    if (limited.status === 429)
      expect(limited.body.error).toMatchObject({
        code: 'rate_limited',
        details: { retryAfterSeconds: expect.any(Number) },
      });
    const calm = await signUp(svc.app, ['creator']);
    await request(svc.app)
      .post('/v1/policy/check')
      .set(calm.auth)
      .send({ prompt: 'a quiet forest at dawn' })
      .expect(200);
  });
});
