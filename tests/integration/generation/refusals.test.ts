import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createLocalModel, httpRenderRequestSchema } from '../../../src/models';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { personFace, seedCameo, waitForStage, type Account } from './generation-helpers';

jest.setTimeout(600000);

const ENDED = ['done', 'refused', 'failed'];

describe.each(backends())('refusals of the generation pipeline ($name)', (backend) => {
  let svc: TestService;
  let creator: Account;

  beforeAll(async () => {
    svc = await startTestService(backend);
    creator = await signUp(svc.app, ['creator']);
  });
  afterAll(async () => {
    await svc?.close();
  });

  const generate = async (body: Record<string, unknown>) => {
    const r = await request(svc.app)
      .post('/v1/generations')
      .set(creator.auth)
      .send({ durationSec: 2, aspect: '1:1', ...body })
      .expect(202);
    const g = await waitForStage(svc.app, creator.auth, r.body.id, ENDED);
    expect(g.failure).toBeNull();
    return g;
  };
  const noLedger = async (id: string) =>
    expect(
      (await svc.rt.db.query('select 1 from ledger_entries where generation_id = $1', [id])).rowCount,
    ).toBe(0);

  it('refuses a prompt naming a character a rightsholder blocked, naming the entry, before anything renders', async () => {
    const op = await makeOperator(svc);
    const studio = await signUp(svc.app, ['creator']);
    await request(svc.app)
      .post(`/v1/accounts/${studio.id}/roles`)
      .set(op.auth)
      .send({ role: 'rightsholder' })
      .expect(200);
    await request(svc.app)
      .post('/v1/optout/entries')
      .set(studio.auth)
      .send({
        kind: 'character',
        canonicalName: 'Pikachu',
        aliases: [],
        descriptions: ['yellow electric mouse'],
        policy: 'block',
      })
      .expect(201);
    const g = await generate({ prompt: 'Pikachu surfing a big wave' });
    expect(g.stage).toBe('refused');
    expect(g.refusal).toMatchObject({ stage: 'policy', rule: 'optout_prompt' });
    expect(g.refusal.message).toMatch(/Pikachu/);
    expect(g.model).toBeNull();
    expect(g.output).toBeNull();
    await request(svc.app).get(`/v1/generations/${g.id}/output`).set(creator.auth).expect(409);
    await noLedger(g.id);
  });

  it("refuses a prompt that breaks a cameo owner's written rule, in the owner's words", async () => {
    const owner = await signUp(svc.app, ['cameo_owner']);
    await seedCameo(svc.rt, svc.app, owner, 'obama', {
      visibility: 'everyone',
      rules: ['no political content'],
    });
    const g = await generate({ prompt: `@${owner.handle} giving a speech at an election rally` });
    expect(g.stage).toBe('refused');
    expect(g.refusal).toMatchObject({ stage: 'policy', rule: 'cameo_rule' });
    expect(g.refusal.message).toContain(`@${owner.handle}`);
    await noLedger(g.id);
  });

  it('refuses a cameo whose owner has not allowed this creator, and every named owner sees the refused attempt', async () => {
    const friendly = await signUp(svc.app, ['cameo_owner']);
    const friendlyCameo = await seedCameo(svc.rt, svc.app, friendly, 'biden', { visibility: 'everyone' });
    const owner = await signUp(svc.app, ['cameo_owner']);
    const cameoId = await seedCameo(svc.rt, svc.app, owner, 'obama', { visibility: 'only_me' });
    const g = await generate({ prompt: 'walking a dog', cameos: [friendly.handle, owner.handle] });
    expect(g.stage).toBe('refused');
    expect(g.refusal.stage).toBe('consent');
    expect(g.refusal.message).toContain(owner.handle);
    const seen = await request(svc.app).get(`/v1/cameos/${cameoId}/generations`).set(owner.auth).expect(200);
    expect(seen.body.generations.map((x: { id: string }) => x.id)).toContain(g.id);
    // The cameo that would have allowed it was named in the same attempt: its owner sees it too.
    const alsoSeen = await request(svc.app)
      .get(`/v1/cameos/${friendlyCameo}/generations`)
      .set(friendly.auth)
      .expect(200);
    expect(alsoSeen.body.generations.map((x: { id: string }) => x.id)).toContain(g.id);
    await noLedger(g.id);
  });

  it('refuses a paused cameo', async () => {
    const owner = await signUp(svc.app, ['cameo_owner']);
    await seedCameo(svc.rt, svc.app, owner, 'obama', { visibility: 'everyone', paused: true });
    const g = await generate({ prompt: `@${owner.handle} reading a book` });
    expect(g.failure).toBeNull();
    expect(g.stage).toBe('refused');
    expect(g.failure).toBeNull();
    expect(g.refusal).toMatchObject({ stage: 'consent', rule: 'cameo_paused' });
    await noLedger(g.id);
  });

  it('streams each decision as server-sent events and ends with the final view', async () => {
    const r = await request(svc.app)
      .post('/v1/generations')
      .set(creator.auth)
      .send({ prompt: 'Pikachu again', durationSec: 2 })
      .expect(202);
    const sse = await request(svc.app)
      .get(`/v1/generations/${r.body.id}/events`)
      .set(creator.auth)
      .expect(200);
    expect(sse.headers['content-type']).toMatch(/text\/event-stream/);
    const events = sse.text
      .trim()
      .split('\n\n')
      .map((block) => ({
        event: /event: (\w+)/.exec(block)![1],
        data: JSON.parse(/data: (.*)/.exec(block)![1]!),
      }));
    expect(events[0]).toMatchObject({ event: 'decision', data: { stage: 'queued', decision: 'requested' } });
    expect(events.some((e) => e.event === 'decision' && e.data.decision === 'refused')).toBe(true);
    expect(events.at(-1)).toMatchObject({
      event: 'end',
      data: { stage: 'refused', refusal: { rule: 'optout_prompt' } },
    });
  });

  it('holds each creator to the rate limit an operator sets, counted in the database', async () => {
    const op = await makeOperator(svc);
    const limited = await signUp(svc.app, ['creator']);
    await request(svc.app)
      .put(`/v1/operator/generation-limits/${limited.id}`)
      .set(op.auth)
      .send({ perMinute: 2, perDay: 100, maxActive: 100 })
      .expect(200);
    for (let i = 0; i < 2; i++)
      await request(svc.app)
        .post('/v1/generations')
        .set(limited.auth)
        .send({ prompt: `Pikachu ${i}` })
        .expect(202);
    const third = await request(svc.app)
      .post('/v1/generations')
      .set(limited.auth)
      .send({ prompt: 'Pikachu 3' })
      .expect(429);
    expect(third.body.error.code).toBe('generation_rate_limited');
    const view = await request(svc.app).get('/v1/operator/queue').set(op.auth).expect(200);
    expect(view.body.generationsByStage.refused + (view.body.generationsByStage.queued ?? 0)).toBeGreaterThan(
      0,
    );
    expect(view.body.queue.counts).toHaveProperty('waiting');
  });
});

/** A model server that does not respect the request: it puts someone else's face in the clip. */
async function faceSwappingServer(face: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const local = createLocalModel();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = httpRenderRequestSchema.parse(JSON.parse(Buffer.concat(chunks).toString()));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swap-srv-'));
    try {
      const out = await local.render(
        {
          ...body,
          cameos: body.cameos.map((c) => ({ cameoId: c.ref, referenceImageJpeg: face })),
          referenceImages: [],
        },
        { workDir: dir },
      );
      res.writeHead(200, { 'content-type': 'video/mp4' }).end(fs.readFileSync(out.path));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

describe.each(backends())('output scan ($name)', (backend) => {
  let svc: TestService;
  let model: Awaited<ReturnType<typeof faceSwappingServer>>;

  beforeAll(async () => {
    model = await faceSwappingServer((await personFace('biden')).referenceJpeg);
    svc = await startTestService(backend, {
      CONSENTRY_MODEL_URL: model.url,
      CONSENTRY_MODEL_TOKEN: 'unused',
    });
  });
  afterAll(async () => {
    await svc?.close();
    await model?.close();
  });

  it("refuses a clip showing another enrolled cameo's face instead of the requested one, and stores nothing", async () => {
    const requested = await signUp(svc.app, ['cameo_owner']);
    const other = await signUp(svc.app, ['cameo_owner']);
    await seedCameo(svc.rt, svc.app, requested, 'obama');
    await seedCameo(svc.rt, svc.app, other, 'biden', { visibility: 'only_me' });
    const creator = await signUp(svc.app, ['creator']);
    const r = await request(svc.app)
      .post('/v1/generations')
      .set(creator.auth)
      .send({ prompt: `@${requested.handle} on a boat`, durationSec: 2, aspect: '1:1' })
      .expect(202);
    const g = await waitForStage(svc.app, creator.auth, r.body.id, ENDED);
    expect(g.stage).toBe('refused');
    expect(g.refusal).toMatchObject({ stage: 'scanning', rule: 'output_other_cameo' });
    expect(g.output).toBeNull();
    expect(
      (await svc.rt.db.query('select 1 from ledger_entries where generation_id = $1', [g.id])).rowCount,
    ).toBe(0);
    expect(
      (await svc.rt.db.query('select 1 from generation_pending_outputs where generation_id = $1', [g.id]))
        .rowCount,
    ).toBe(0);
  });
});
