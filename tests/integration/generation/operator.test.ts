import request from 'supertest';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { seedCameo, waitForStage, type Account } from './generation-helpers';

jest.setTimeout(600000);

describe.each(backends().filter((b) => b.name === 'embedded'))(
  'operator cancel and retry ($name)',
  (backend) => {
    let svc: TestService;
    let owner: Account;
    let creator: Account;
    let op: Account;
    const hold = process.env.GENERATION_TEST_HOLD_MS;

    beforeAll(async () => {
      // Generations whose prompt asks for it wait 5 s at the rendering stage (test hook).
      process.env.GENERATION_TEST_HOLD_MS = '5000';
      svc = await startTestService(backend);
      owner = await signUp(svc.app, ['cameo_owner']);
      creator = await signUp(svc.app, ['creator']);
      op = await makeOperator(svc);
      await seedCameo(svc.rt, svc.app, owner, 'obama');
    });
    afterAll(async () => {
      await svc?.close();
      if (hold === undefined) delete process.env.GENERATION_TEST_HOLD_MS;
      else process.env.GENERATION_TEST_HOLD_MS = hold;
    });

    it('cancelling a running generation stops it without output; retrying it makes the clip', async () => {
      const r = await request(svc.app)
        .post('/v1/generations')
        .set(creator.auth)
        .send({ prompt: `@${owner.handle} by a river [test-hold:rendering]`, durationSec: 2, aspect: '1:1' })
        .expect(202);
      const id = r.body.id;
      await waitForStage(svc.app, creator.auth, id, ['rendering']);
      await request(svc.app).post(`/v1/operator/generations/${id}/cancel`).set(creator.auth).expect(403);
      const cancelled = await request(svc.app)
        .post(`/v1/operator/generations/${id}/cancel`)
        .set(op.auth)
        .expect(200);
      expect(cancelled.body).toMatchObject({
        stage: 'failed',
        failure: 'An operator cancelled this generation.',
      });
      await request(svc.app).post(`/v1/operator/generations/${id}/cancel`).set(op.auth).expect(409);

      // The held attempt wakes up, sees the row ended, and stops: nothing is delivered.
      await new Promise((res) => setTimeout(res, 7000));
      const after = await request(svc.app).get(`/v1/generations/${id}`).set(creator.auth).expect(200);
      expect(after.body).toMatchObject({ stage: 'failed', output: null });
      expect(
        (await svc.rt.db.query('select 1 from ledger_entries where generation_id = $1', [id])).rowCount,
      ).toBe(0);

      const retried = await request(svc.app)
        .post(`/v1/operator/generations/${id}/retry`)
        .set(op.auth)
        .expect(200);
      expect(retried.body.stage).toBe('queued');
      const done = await waitForStage(svc.app, creator.auth, id, ['done', 'refused', 'failed']);
      expect(done).toMatchObject({ stage: 'done', failure: null });
      await request(svc.app).post(`/v1/operator/generations/${id}/retry`).set(op.auth).expect(409);

      const q = await request(svc.app).get('/v1/operator/queue').set(op.auth).expect(200);
      expect(q.body.generationsByStage.done).toBeGreaterThanOrEqual(1);
      expect(q.body.queue.counts.completed).toBeGreaterThanOrEqual(1);
    });
  },
);
