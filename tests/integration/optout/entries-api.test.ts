import request from 'supertest';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { check, rawPost, rightsholder, type Account } from './optout-helpers';

const pika = {
  kind: 'character',
  canonicalName: 'Pikachu',
  aliases: ['ピカチュウ', 'Pika-chan'],
  descriptions: ['yellow electric mouse'],
  policy: 'block',
};

describe.each(backends())('opt-out entries and policy check over HTTP ($name)', (backend) => {
  let svc: TestService;
  let operator: Account;
  let studio: Account;
  let other: Account;
  let creator: Account;
  beforeAll(async () => {
    svc = await startTestService(backend);
    operator = await makeOperator(svc);
    studio = await rightsholder(svc.app, operator);
    other = await rightsholder(svc.app, operator);
    creator = await signUp(svc.app, ['creator']);
  });
  afterAll(() => svc.close());

  const audits = async (action: string, subjectId: string) =>
    (
      await svc.rt.db.query('select * from audit_log where action = $1 and subject_id = $2', [
        action,
        subjectId,
      ])
    ).rows;

  it('lets a rightsholder register, read, list, edit and withdraw an entry, auditing each change', async () => {
    const created = await request(svc.app).post('/v1/optout/entries').set(studio.auth).send(pika).expect(201);
    expect(created.body).toMatchObject({
      canonicalName: 'Pikachu',
      kind: 'character',
      policy: 'block',
      status: 'active',
      aliases: pika.aliases,
      images: [],
    });
    const id = created.body.id as string;
    expect(await audits('optout.entry_created', id)).toHaveLength(1);

    const got = await request(svc.app).get(`/v1/optout/entries/${id}`).set(studio.auth).expect(200);
    expect(got.body.id).toBe(id);
    const list = await request(svc.app).get('/v1/optout/entries').set(studio.auth).expect(200);
    expect(list.body.entries.map((e: { id: string }) => e.id)).toContain(id);

    const patched = await request(svc.app)
      .patch(`/v1/optout/entries/${id}`)
      .set(studio.auth)
      .send({ aliases: ['Pika-chan', 'Pikachuu'] })
      .expect(200);
    expect(patched.body.aliases).toEqual(['Pika-chan', 'Pikachuu']);
    expect(patched.body.canonicalName).toBe('Pikachu');
    expect(await audits('optout.entry_updated', id)).toHaveLength(1);

    const withdrawn = await request(svc.app).delete(`/v1/optout/entries/${id}`).set(studio.auth).expect(200);
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', withdrawnAt: expect.any(String) });
    expect(await audits('optout.entry_withdrawn', id)).toHaveLength(1);
    const again = await request(svc.app)
      .patch(`/v1/optout/entries/${id}`)
      .set(studio.auth)
      .send({ aliases: ['Pikapika'] })
      .expect(409);
    expect(again.body.error.code).toBe('entry_withdrawn');
  });

  it("answers 404 for another rightsholder's entry on read, edit, withdraw and image upload, and 403 for non-rightsholders", async () => {
    const mine = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ ...pika, canonicalName: 'Bulbasaur', aliases: [], descriptions: [] })
      .expect(201);
    const id = mine.body.id as string;
    await request(svc.app).get(`/v1/optout/entries/${id}`).set(other.auth).expect(404);
    await request(svc.app)
      .patch(`/v1/optout/entries/${id}`)
      .set(other.auth)
      .send({ aliases: ['Bulba'] })
      .expect(404);
    await request(svc.app).delete(`/v1/optout/entries/${id}`).set(other.auth).expect(404);
    await request(svc.app)
      .post(`/v1/optout/entries/${id}/images`)
      .set(other.auth)
      .set('content-type', 'image/png')
      .send(Buffer.from('x'))
      .expect(404);
    const list = await request(svc.app).get('/v1/optout/entries').set(other.auth).expect(200);
    expect(list.body.entries.map((e: { id: string }) => e.id)).not.toContain(id);
    const denied = await request(svc.app).post('/v1/optout/entries').set(creator.auth).send(pika).expect(403);
    expect(denied.body.error.code).toBe('missing_role');
    const still = await request(svc.app).get(`/v1/optout/entries/${id}`).set(studio.auth).expect(200);
    expect(still.body.status).toBe('active');
  });

  it('refuses entries so short they would match everything, unknown licensees and broken text, storing nothing', async () => {
    const before = Number(
      (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from optout_entries')).rows[0].n,
    );
    const short = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ ...pika, canonicalName: 'Zorblax', aliases: ['X', 'ok'] })
      .expect(400);
    expect(short.body.error.code).toBe('entry_invalid');
    expect(short.body.error.message).toMatch(/aliases/);
    const unknown = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({
        ...pika,
        canonicalName: 'Zorblax',
        policy: 'licensed_only',
        licensees: ['nobody_has_this_handle'],
      })
      .expect(400);
    expect(unknown.body.error.message).toMatch(/nobody_has_this_handle/);
    const control = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ ...pika, canonicalName: 'Zorb\u0007lax' })
      .expect(400);
    expect(control.body.error.message).toMatch(/control character/);
    const surrogate = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .set('content-type', 'application/json')
      .send('{"kind":"character","canonicalName":"Zorb\\ud800lax","policy":"block"}')
      .expect(400);
    expect(surrogate.body.error.message).toMatch(/Unicode/);
    const extra = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ ...pika, owner: 'me' })
      .expect(400);
    expect(extra.body.error.message).toMatch(/owner/);
    const after = Number(
      (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from optout_entries')).rows[0].n,
    );
    expect(after).toBe(before);
  });

  it('refuses a creator prompt naming a protected character, with the entry, rule, span and a readable reason', async () => {
    await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({
        ...pika,
        canonicalName: 'Squirtle',
        aliases: [],
        descriptions: ['tiny blue turtle with water cannon'],
      })
      .expect(201);
    const direct = await check(svc.app, creator, 'a clip of Squirtle surfing at sunset');
    expect(direct.allowed).toBe(false);
    expect(direct.matches[0]).toMatchObject({
      name: 'Squirtle',
      kind: 'character',
      span: { text: 'Squirtle' },
    });
    expect(direct.matches[0].message).toMatch(/Squirtle/);
    expect(direct.matches[0]).toHaveProperty('owner');
    const evasive = await check(svc.app, creator, 'a clip of S.q-u i r_t l e surfing');
    expect(evasive.allowed).toBe(false);
    const innocent = await check(svc.app, creator, 'a turtle swimming in a calm blue lake');
    expect(innocent).toEqual({ allowed: true, matches: [] });
  });

  it('allows a licensee of a licensed_only entry and refuses everyone else', async () => {
    const licensee = await signUp(svc.app, ['creator']);
    await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({
        kind: 'brand',
        canonicalName: 'Zentrovia Motors',
        policy: 'licensed_only',
        licensees: [licensee.handle],
      })
      .expect(201);
    expect((await check(svc.app, licensee, 'a Zentrovia Motors car ad on a mountain road')).allowed).toBe(
      true,
    );
    const refused = await check(svc.app, creator, 'a Zentrovia Motors car ad on a mountain road');
    expect(refused.allowed).toBe(false);
    expect(refused.matches[0].message).toMatch(/licensed/);
  });

  it('refuses empty, 100 KB, control-character, lone-surrogate and non-UTF-8 prompts with a 4xx and records nothing', async () => {
    const blocksBefore = Number(
      (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from optout_blocks')).rows[0].n,
    );
    const send = (body: string | object, type = 'application/json') =>
      request(svc.app)
        .post('/v1/policy/check')
        .set(creator.auth)
        .set('content-type', type)
        .send(body as never);
    const empty = await send({ prompt: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('prompt_empty');
    const huge = await send({ prompt: 'Squirtle '.repeat(11_400) });
    expect(huge.status).toBe(400);
    expect(huge.body.error.code).toBe('prompt_too_long');
    const ctrl = await send({ prompt: 'Squirtle\u0000 at the beach' });
    expect(ctrl.body.error.code).toBe('prompt_control_chars');
    const lone = await send('{"prompt":"Squirtle \\udc00 at the beach"}');
    expect(lone.status).toBe(400);
    expect(lone.body.error.code).toBe('prompt_encoding');
    const latin1 = await rawPost(
      svc.app,
      '/v1/policy/check',
      { ...creator.auth, 'content-type': 'application/json' },
      Buffer.concat([Buffer.from('{"prompt":"Squirtle caf'), Buffer.from([0xe9]), Buffer.from(' beach"}')]),
    );
    expect(latin1.status).toBe(400);
    expect(latin1.body.error.code).toBe('prompt_encoding');
    const none = await send({});
    expect(none.status).toBe(400);
    const blocksAfter = Number(
      (await svc.rt.db.query<{ n: number }>('select count(*)::int as n from optout_blocks')).rows[0].n,
    );
    expect(blocksAfter).toBe(blocksBefore);
  });

  it('records each block for the rightsholder: counts per day and prompt text, without who asked until an operator releases it', async () => {
    const acme = await rightsholder(svc.app, operator);
    const e = await request(svc.app)
      .post('/v1/optout/entries')
      .set(acme.auth)
      .send({ kind: 'character', canonicalName: 'Grimbleton Wolf', policy: 'block' })
      .expect(201);
    const asker = await signUp(svc.app, ['creator']);
    await check(svc.app, asker, 'Grimbleton Wolf howling at the moon');
    await check(svc.app, asker, 'the grimbleton wolfs dancing');
    const stats = await request(svc.app).get('/v1/optout/stats?bucket=day').set(acme.auth).expect(200);
    expect(stats.body.entries).toEqual([
      {
        entryId: e.body.id,
        name: 'Grimbleton Wolf',
        total: 2,
        buckets: [{ start: expect.stringMatching(/T00:00:00.000Z$/), count: 2 }],
      },
    ]);
    expect(stats.body.recent.map((r: { prompt: string }) => r.prompt).sort()).toEqual([
      'Grimbleton Wolf howling at the moon',
      'the grimbleton wolfs dancing',
    ]);
    expect(JSON.stringify(stats.body)).not.toContain(asker.id);
    const raw = await svc.rt.db.query('select * from optout_blocks where entry_id = $1', [e.body.id]);
    expect(JSON.stringify(raw.rows)).not.toContain(asker.id);

    const blockId = stats.body.recent[0].id as string;
    await request(svc.app)
      .post(`/v1/optout/blocks/${blockId}/release`)
      .set(acme.auth)
      .send({ reason: 'I would like to know who' })
      .expect(403);
    const released = await request(svc.app)
      .post(`/v1/optout/blocks/${blockId}/release`)
      .set(operator.auth)
      .send({ reason: 'Court order 2026-117 for repeated infringement' })
      .expect(200);
    expect(released.body).toMatchObject({ blockId, requesterId: asker.id, releasedBy: operator.id });
    const audit = await audits('optout.block_released', blockId);
    expect(audit).toHaveLength(1);
    expect(audit[0].actor_id).toBe(operator.id);
    const after = await request(svc.app).get('/v1/optout/stats').set(acme.auth).expect(200);
    const shown = after.body.recent.find((r: { id: string }) => r.id === blockId);
    expect(shown.requesterId).toBe(asker.id);
    expect(after.body.recent.filter((r: { requesterId?: string }) => r.requesterId)).toHaveLength(1);
    await request(svc.app)
      .get('/v1/optout/stats')
      .set(other.auth)
      .expect(200)
      .expect((r) => expect(JSON.stringify(r.body)).not.toContain('Grimbleton'));
  });

  it('withdrawing an entry stops it refusing', async () => {
    const e = await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ kind: 'work', canonicalName: 'The Quillfeather Chronicles', policy: 'block' })
      .expect(201);
    expect((await check(svc.app, creator, 'a trailer for The Quillfeather Chronicles')).allowed).toBe(false);
    await request(svc.app).delete(`/v1/optout/entries/${e.body.id}`).set(studio.auth).expect(200);
    expect((await check(svc.app, creator, 'a trailer for The Quillfeather Chronicles')).allowed).toBe(true);
  });

  it('the pipeline interface gives the same decision as the HTTP check', async () => {
    const d = await svc.rt.optout.checkPrompt('Squirtle in the rain', {
      requesterId: creator.id,
      source: 'generation',
    });
    expect(d.allowed).toBe(false);
    expect(d.matches[0].name).toBe('Squirtle');
    const row = await svc.rt.db.query(
      `select source from optout_blocks where source = 'generation' and prompt = 'Squirtle in the rain'`,
    );
    expect(row.rows).toHaveLength(1);
  });

  it('documents every opt-out and policy route in /openapi.json', async () => {
    const spec = await request(svc.app).get('/openapi.json').expect(200);
    const paths = Object.keys(spec.body.paths);
    for (const p of [
      '/v1/optout/entries',
      '/v1/optout/import',
      '/v1/optout/export',
      '/v1/optout/stats',
      '/v1/policy/check',
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths.some((p) => p.startsWith('/v1/optout/blocks/') && p.endsWith('/release'))).toBe(true);
  });
});
