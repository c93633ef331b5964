import request from 'supertest';
import { fixChallengeForTests } from '../../../src/consent/test-seam';
import { PolicyRefusal } from '../../../src/http/errors';
import { backends, signUp, startTestService, type TestService } from '../../helpers/runtime';
import { startEnrollment, TALKING_B, talkingBChallenge, uploadFile, waitForVerdict } from './consent-helpers';

type Account = Awaited<ReturnType<typeof signUp>>;

describe.each(backends())('who may use a cameo, its rules and its revocation ($name)', (backend) => {
  let svc: TestService;
  let owner: Account;
  let alice: Account;
  let bob: Account;
  let cameoId: string;
  const revoked: string[] = [];

  beforeAll(async () => {
    svc = await startTestService(backend);
    svc.rt.consent.onRevoked((id) => {
      revoked.push(id);
    });
    fixChallengeForTests(svc.rt.consent, talkingBChallenge());
    owner = await signUp(svc.app, ['cameo_owner', 'creator']);
    alice = await signUp(svc.app, ['creator']);
    bob = await signUp(svc.app, ['creator']);
    const s = await startEnrollment(svc.app, owner.auth);
    await uploadFile(svc.app, owner.auth, s.id, TALKING_B).expect(202);
    const v = await waitForVerdict(svc.app, owner.auth, s.id, 380000);
    if (v.status !== 'accepted') throw new Error(`the fixture enrollment was rejected: ${v.reason}`);
    cameoId = v.cameoId;
  }, 400000);
  afterAll(() => svc.close());

  const may = async (who: Account) => {
    const r = await request(svc.app).get(`/v1/cameos/by-handle/${owner.handle}`).set(who.auth).expect(200);
    return r.body as { handle: string; available: boolean; reason: string | null };
  };
  const resolveAs = (who: Account) => svc.rt.consent.resolveCameosForGeneration(who.id, [`@${owner.handle}`]);
  const settings = (body: object) =>
    request(svc.app).patch(`/v1/cameos/${cameoId}`).set(owner.auth).send(body).expect(200);

  it('only_me (the default): the owner may use it, anyone else is refused with the cameo named', async () => {
    expect((await resolveAs(owner)).map((c) => c.cameoId)).toEqual([cameoId]);
    const a = await may(alice);
    expect(a).toEqual({
      handle: owner.handle,
      available: false,
      reason: expect.stringContaining(`@${owner.handle}`),
    });
    expect(Object.keys(a).sort()).toEqual(['available', 'handle', 'reason']);
    await expect(resolveAs(alice)).rejects.toBeInstanceOf(PolicyRefusal);
    await expect(resolveAs(alice)).rejects.toMatchObject({ code: 'not_permitted', details: { cameoId } });
  });

  it('approved: only approved people; approval can be given and taken back', async () => {
    await settings({ visibility: 'approved' });
    expect((await may(alice)).available).toBe(false);
    const approved = await request(svc.app)
      .post(`/v1/cameos/${cameoId}/approvals/${alice.handle}`)
      .set(owner.auth)
      .expect(200);
    expect(approved.body.approvedHandles).toEqual([alice.handle]);
    expect((await may(alice)).available).toBe(true);
    expect((await resolveAs(alice))[0]!.cameoId).toBe(cameoId);
    expect((await may(bob)).available).toBe(false);
    await request(svc.app)
      .delete(`/v1/cameos/${cameoId}/approvals/${alice.handle}`)
      .set(owner.auth)
      .expect(200);
    expect((await may(alice)).available).toBe(false);
    await request(svc.app)
      .post(`/v1/cameos/${cameoId}/approvals/no_such_handle_x`)
      .set(owner.auth)
      .expect(404);
  });

  it('mutuals: only when both follow each other (one-way following is not enough)', async () => {
    await settings({ visibility: 'mutuals' });
    await request(svc.app).post(`/v1/follows/${owner.handle}`).set(bob.auth).expect(200);
    expect((await may(bob)).available).toBe(false);
    const back = await request(svc.app).post(`/v1/follows/${bob.handle}`).set(owner.auth).expect(200);
    expect(back.body).toEqual({ handle: bob.handle, following: true, mutual: true });
    expect((await may(bob)).available).toBe(true);
    expect((await may(alice)).available).toBe(false);
    await request(svc.app).delete(`/v1/follows/${owner.handle}`).set(bob.auth).expect(200);
    expect((await may(bob)).available).toBe(false);
    await request(svc.app).post(`/v1/follows/${bob.handle}`).set(bob.auth).expect(400);
  });

  it('everyone: any signed-in account may use it', async () => {
    await settings({ visibility: 'everyone' });
    expect((await may(alice)).available).toBe(true);
    expect((await may(bob)).available).toBe(true);
    expect(await resolveAs(bob)).toHaveLength(1);
  });

  it('pause: nobody, the owner included, may use it while paused; delivery checks see it', async () => {
    await settings({ paused: true });
    expect(await may(alice)).toMatchObject({ available: false, reason: expect.stringMatching(/paused/) });
    await expect(resolveAs(owner)).rejects.toMatchObject({ code: 'cameo_paused' });
    expect(await svc.rt.consent.stillConsenting([cameoId])).toBe(false);
    await settings({ paused: false });
    expect(await svc.rt.consent.stillConsenting([cameoId])).toBe(true);
    expect((await may(alice)).available).toBe(true);
  });

  it('written rules are refused in prompts that break them, with the rule named, and pass prompts that do not', async () => {
    const rules = ['no political content', 'never shown drinking', 'always wearing glasses', 'no violence'];
    const r = await settings({ rules });
    expect(r.body.rules).toEqual(rules);
    const cameos = await resolveAs(alice);
    expect(cameos[0]!.rules).toEqual(rules);
    const check = (p: string) => svc.rt.consent.checkPromptAgainstRules(cameos, p);
    expect(check(`@${owner.handle} gives a speech at an election rally`)).toEqual([
      { cameoId, rule: 'no political content', message: expect.stringContaining('no political content') },
    ]);
    expect(check(`@${owner.handle} drinking a beer on a terrace`).map((v) => v.rule)).toEqual([
      'never shown drinking',
    ]);
    expect(check(`@${owner.handle} reading a book without glasses`).map((v) => v.rule)).toEqual([
      'always wearing glasses',
    ]);
    expect(check(`@${owner.handle} in a sword fight`).map((v) => v.rule)).toEqual(['no violence']);
    expect(check(`@${owner.handle} walks a dog in a sunny park`)).toEqual([]);
    await request(svc.app)
      .patch(`/v1/cameos/${cameoId}`)
      .set(owner.auth)
      .send({ rules: ['x'.repeat(201)] })
      .expect(400);
  });

  it('one account never reads or changes another’s cameo: every route answers 404', async () => {
    for (const [method, path] of [
      ['get', `/v1/cameos/${cameoId}`],
      ['get', `/v1/cameos/${cameoId}/receipt`],
      ['post', `/v1/cameos/${cameoId}/revoke`],
      ['post', `/v1/cameos/${cameoId}/approvals/${bob.handle}`],
      ['delete', `/v1/cameos/${cameoId}/approvals/${bob.handle}`],
    ] as const) {
      const r = await request(svc.app)[method](path).set(alice.auth);
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
    }
    const patch = await request(svc.app)
      .patch(`/v1/cameos/${cameoId}`)
      .set(alice.auth)
      .send({ paused: true });
    expect(patch.status).toBe(404);
    const list = await request(svc.app).get('/v1/cameos').set(alice.auth).expect(200);
    expect(list.body.cameos).toEqual([]);
    await expect(svc.rt.consent.getOwnedCameo(alice.id, cameoId)).rejects.toMatchObject({ status: 404 });
    expect(await svc.rt.consent.getOwnedCameo(owner.id, cameoId)).toEqual({
      id: cameoId,
      handle: owner.handle,
      status: 'active',
    });
    expect(await svc.rt.consent.stillConsenting([cameoId])).toBe(true);
  });

  it('revocation destroys the templates, reference image and data key, keeps the audit trail, notifies listeners and refuses every later use', async () => {
    const before = await resolveAs(owner);
    const r = await request(svc.app).post(`/v1/cameos/${cameoId}/revoke`).set(owner.auth).expect(200);
    expect(r.body).toMatchObject({ id: cameoId, status: 'revoked', revokedAt: expect.any(String) });
    expect(revoked).toEqual([cameoId]);
    const row = (
      await svc.rt.db.query<Record<string, unknown>>(
        'select wrapped_key, face_template_enc, voice_template_enc, reference_image_enc, receipt from cameos where id = $1',
        [cameoId],
      )
    ).rows[0]!;
    expect(row).toMatchObject({
      wrapped_key: null,
      face_template_enc: null,
      voice_template_enc: null,
      reference_image_enc: null,
    });
    expect(row.receipt).toEqual(expect.any(String));
    const audit = await svc.rt.db.query<{ action: string; details: unknown }>(
      `select action, details from audit_log where subject_type = 'cameo' and subject_id = $1 order by id`,
      [cameoId],
    );
    const actions = audit.rows.map((a) => a.action);
    expect(actions[0]).toBe('cameo.enrolled');
    expect(actions[actions.length - 1]).toBe('cameo.revoked');
    expect(JSON.stringify(audit.rows)).not.toMatch(/template|descriptor|fingerprint/i);

    await expect(resolveAs(owner)).rejects.toMatchObject({ code: 'cameo_revoked' });
    await expect(resolveAs(alice)).rejects.toBeInstanceOf(PolicyRefusal);
    expect(await svc.rt.consent.stillConsenting([cameoId])).toBe(false);
    expect(await svc.rt.consent.nearestCameoFace(before[0]!.faceTemplate)).toBeNull();
    expect((await may(alice)).available).toBe(false);
    await request(svc.app).patch(`/v1/cameos/${cameoId}`).set(owner.auth).send({ paused: false }).expect(409);
    // The owner keeps the receipt as proof consent existed; a second revoke changes nothing.
    await request(svc.app).get(`/v1/cameos/${cameoId}/receipt`).set(owner.auth).expect(200);
    await request(svc.app).post(`/v1/cameos/${cameoId}/revoke`).set(owner.auth).expect(200);
    expect(revoked).toEqual([cameoId]);
    const mine = await request(svc.app).get('/v1/cameos').set(owner.auth).expect(200);
    expect(mine.body.cameos.map((c: { status: string }) => c.status)).toEqual(['revoked']);
  });
});
