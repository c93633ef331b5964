import request from 'supertest';
import { backends, makeOperator, signUp } from '../../helpers/runtime';
import { check, eventually, rightsholder, startServicePair } from './optout-helpers';

describe.each(backends())('propagation across processes ($name)', (backend) => {
  let pair: Awaited<ReturnType<typeof startServicePair>>;
  beforeAll(async () => {
    pair = await startServicePair(backend);
  });
  afterAll(() => pair.close());

  it('a new entry registered on one instance refuses on the other within 5 s, and its withdrawal stops refusing within 5 s', async () => {
    const { a, b } = pair;
    const operator = await makeOperator(a);
    const studio = await rightsholder(a.app, operator);
    const creator = await signUp(b.app, ['creator']);
    const prompt = 'a cinematic shot of Quorvellian Nightglider over the sea';
    expect((await check(b.app, creator, prompt)).allowed).toBe(true);

    const created = await request(a.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({ kind: 'character', canonicalName: 'Quorvellian Nightglider', policy: 'block' })
      .expect(201);
    // The writing instance applies its own change before answering.
    expect((await check(a.app, creator, prompt)).allowed).toBe(false);
    await eventually(async () => !(await check(b.app, creator, prompt)).allowed, 5000);
    expect(b.rt.optout).toBeDefined();

    const edited = await request(a.app)
      .patch(`/v1/optout/entries/${created.body.id}`)
      .set(studio.auth)
      .send({ aliases: ['Nightglider Q'] })
      .expect(200);
    expect(edited.body.aliases).toEqual(['Nightglider Q']);
    await eventually(async () => !(await check(b.app, creator, 'the Nightglider Q at dawn')).allowed, 5000);

    await request(a.app).delete(`/v1/optout/entries/${created.body.id}`).set(studio.auth).expect(200);
    await eventually(async () => (await check(b.app, creator, prompt)).allowed, 5000);
    expect(
      (await b.rt.optout.checkPrompt(prompt, { requesterId: creator.id, source: 'generation' })).allowed,
    ).toBe(true);
  });

  it('entries imported in bulk on one instance refuse on the other within 5 s', async () => {
    const { a, b } = pair;
    const operator = await makeOperator(a);
    const studio = await rightsholder(a.app, operator);
    const creator = await signUp(b.app, ['creator']);
    const csv = [
      'kind,canonical_name,policy',
      ...Array.from({ length: 500 }, (_, i) => `brand,Plimbertonix Brand ${i.toString(36)}qq,block`),
    ].join('\n');
    await request(a.app)
      .post('/v1/optout/import')
      .set(studio.auth)
      .set('content-type', 'text/csv')
      .send(csv)
      .expect(200);
    await eventually(
      async () => !(await check(b.app, creator, 'an advert for Plimbertonix Brand 9qq shoes')).allowed,
      5000,
    );
  });
});
