import request from 'supertest';
import { fixChallengeForTests } from '../../../src/consent/test-seam';
import { backends, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { startEnrollment, TALKING_B, talkingBChallenge, uploadFile, waitForVerdict } from './consent-helpers';

describe.each(backends())('an enrollment whose storage fails half-way ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend);
    fixChallengeForTests(svc.rt.consent, talkingBChallenge());
    // A database that refuses to store cameos: the failure strikes after the sealed templates and
    // the receipt were made, inside the transaction that also writes the verdict and the audit row.
    await svc.rt.db.exec(`
      create function consent_test_refuse() returns trigger as $$
      begin raise exception 'cameo storage refused by the test'; end; $$ language plpgsql;
      create trigger consent_test_refuse before insert on cameos for each row execute function consent_test_refuse();`);
  });
  afterAll(() => svc.close());

  it('rejects with a reason after the last attempt and leaves no cameo, no templates and no enrolled audit row', async () => {
    const owner = await signUp(svc.app, ['cameo_owner']);
    const s = await startEnrollment(svc.app, owner.auth);
    await uploadFile(svc.app, owner.auth, s.id, TALKING_B).expect(202);
    const v = await waitForVerdict(svc.app, owner.auth, s.id, 560000);
    expect(v).toMatchObject({ status: 'rejected', reasonCode: 'analysis_failed', cameoId: null, checks: [] });
    expect(v.reason).toMatch(/start a new enrollment/);
    expect(
      (await svc.rt.db.query('select id from cameos where owner_id = $1', [owner.id])).rows,
    ).toHaveLength(0);
    const audit = await svc.rt.db.query<{ action: string }>(
      `select action from audit_log where subject_id = $1 or (subject_type = 'cameo' and actor_id = $2) order by id`,
      [s.id, owner.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'cameo.enrollment_started',
      'cameo.recording_received',
      'cameo.enrollment_rejected',
    ]);
    const list = await request(svc.app).get('/v1/cameos').set(owner.auth).expect(200);
    expect(list.body.cameos).toEqual([]);
  }, 600000);
});
