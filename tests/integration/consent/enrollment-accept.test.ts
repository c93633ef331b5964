import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { verifyReceipt } from '../../../src/consent';
import { fixChallengeForTests } from '../../../src/consent/test-seam';
import { backends, makeOperator, signUp, startTestService, type TestService } from '../../helpers/runtime';
import {
  reencoded,
  startEnrollment,
  TALKING_B,
  talkingBChallenge,
  uploadFile,
  waitForVerdict,
  workDir,
} from './consent-helpers';

/** True when any 16-byte run of `needle` appears in `hay`: a plaintext template would show up this way. */
function containsAnyRun(hay: Buffer, needle: Buffer, run = 16): boolean {
  for (let o = 0; o + run <= needle.length; o += run)
    if (hay.includes(needle.subarray(o, o + run))) return true;
  return false;
}

describe.each(backends())('enrollment of real footage ($name)', (backend) => {
  let svc: TestService;
  let dir: string;
  let owner: Awaited<ReturnType<typeof signUp>>;
  let verdict: any;
  beforeAll(async () => {
    svc = await startTestService(backend);
    dir = workDir();
    fixChallengeForTests(svc.rt.consent, talkingBChallenge());
    owner = await signUp(svc.app, ['cameo_owner', 'creator']);
    const s = await startEnrollment(svc.app, owner.auth);
    expect(s.challenge.id).toBe('fixture-talking-b');
    await uploadFile(svc.app, owner.auth, s.id, TALKING_B).expect(202);
    verdict = await waitForVerdict(svc.app, owner.auth, s.id, 380000);
  }, 400000);
  afterAll(async () => {
    await svc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a live person answering the challenge, with every check scored against its threshold', () => {
    expect({ status: verdict.status, reason: verdict.reason }).toEqual({ status: 'accepted', reason: null });
    expect(verdict.cameoId).toEqual(expect.any(String));
    for (const c of verdict.checks) {
      expect(c).toEqual({
        name: expect.any(String),
        passed: c.decisive ? true : c.passed,
        decisive: expect.any(Boolean),
        score: expect.any(Number),
        threshold: expect.any(Number),
        message: expect.any(String),
      });
    }
    expect(verdict.checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining([
        'one-face',
        'same-identity',
        'head-turns',
        'blink',
        'not-a-reupload',
        'not-already-enrolled',
      ]),
    );
  });

  it('stores the face and voice templates and the reference image only encrypted, and never returns them', async () => {
    const cameoId = verdict.cameoId as string;
    const view = await request(svc.app).get(`/v1/cameos/${cameoId}`).set(owner.auth).expect(200);
    expect(view.body).toMatchObject({
      id: cameoId,
      handle: owner.handle,
      status: 'active',
      visibility: 'only_me',
      paused: false,
    });
    expect(JSON.stringify(view.body)).not.toMatch(/template|reference|wrapped/i);

    const [resolved] = await svc.rt.consent.resolveCameosForGeneration(owner.id, [owner.handle]);
    expect(resolved!.faceTemplate).toHaveLength(128);
    expect(resolved!.referenceImageJpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const row = (
      await svc.rt.db.query<Record<string, Uint8Array>>(
        'select wrapped_key, face_template_enc, voice_template_enc, reference_image_enc from cameos where id = $1',
        [cameoId],
      )
    ).rows[0]!;
    const face = Buffer.from(
      resolved!.faceTemplate.buffer,
      resolved!.faceTemplate.byteOffset,
      resolved!.faceTemplate.byteLength,
    );
    for (const col of ['face_template_enc', 'voice_template_enc', 'reference_image_enc', 'wrapped_key']) {
      const stored = Buffer.from(row[col]!);
      expect(stored.length).toBeGreaterThan(28);
      expect({ col, plainFace: containsAnyRun(stored, face) }).toEqual({ col, plainFace: false });
      expect({
        col,
        plainJpeg: containsAnyRun(stored, resolved!.referenceImageJpeg.subarray(0, 4096)),
      }).toEqual({ col, plainJpeg: false });
    }
    const near = await svc.rt.consent.nearestCameoFace(resolved!.faceTemplate);
    expect(near).toEqual({ cameoId, distance: 0 });
    expect(
      await svc.rt.consent.nearestCameoFace(resolved!.faceTemplate, { excludeCameoIds: [cameoId] }),
    ).toBeNull();
  });

  it('issues a consent receipt that verifies with the published key set and names no biometric data', async () => {
    const cameoId = verdict.cameoId as string;
    const r = await request(svc.app).get(`/v1/cameos/${cameoId}/receipt`).set(owner.auth).expect(200);
    const jwks = await request(svc.app).get('/.well-known/consentry-receipt-keys.json').expect(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: r.body.kid });
    expect(jwks.body.keys[0].d).toBeUndefined();
    const claims = verifyReceipt(r.body.receipt, jwks.body);
    const stored = await svc.rt.db.query<{ report_hash: string }>(
      'select report_hash from cameo_enrollments where cameo_id = $1',
      [cameoId],
    );
    expect(claims).toMatchObject({
      cameoId,
      ownerId: owner.id,
      handle: owner.handle,
      challengeId: 'fixture-talking-b',
      reportHash: stored.rows[0]!.report_hash,
    });
    const payload = Buffer.from(r.body.receipt.split('.')[1], 'base64url').toString();
    expect(payload).not.toMatch(/template|descriptor|image|fingerprint/i);
    // A receipt altered by one character no longer verifies.
    const parts = r.body.receipt.split('.');
    const forged = Buffer.from(payload.replace(owner.handle, 'someone_else')).toString('base64url');
    expect(() => verifyReceipt(`${parts[0]}.${forged}.${parts[2]}`, jwks.body)).toThrow();
    const keyFile = path.join(svc.dataDir, 'consent-receipt-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const audit = await svc.rt.db.query<{ details: unknown }>(
      `select details from audit_log where action = 'cameo.enrolled' and subject_id = $1`,
      [cameoId],
    );
    expect(audit.rows).toHaveLength(1);
    expect(JSON.stringify(audit.rows[0]!.details)).not.toMatch(/template|descriptor|fingerprint/i);
  });

  it('refuses a re-encoded copy sent by another account as a re-upload of someone else’s face, and flags it for an operator', async () => {
    const other = await signUp(svc.app, ['cameo_owner']);
    const s = await startEnrollment(svc.app, other.auth);
    await uploadFile(svc.app, other.auth, s.id, await reencoded(dir, TALKING_B)).expect(202);
    const v = await waitForVerdict(svc.app, other.auth, s.id, 380000);
    expect(v.status).toBe('rejected');
    expect(v.cameoId).toBeNull();
    const byName = Object.fromEntries(v.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName['not-a-reupload']).toMatchObject({ passed: false, decisive: true });
    expect(byName['not-a-reupload'].score).toBeGreaterThanOrEqual(byName['not-a-reupload'].threshold);
    expect(byName['not-already-enrolled']).toMatchObject({ passed: false, decisive: true });
    expect(byName['not-already-enrolled'].score).toBeLessThanOrEqual(
      byName['not-already-enrolled'].threshold,
    );
    expect(v.reason).toEqual(expect.any(String));
    const n = await svc.rt.db.query('select id from cameos where owner_id = $1', [other.id]);
    expect(n.rows).toHaveLength(0);

    const op = await makeOperator(svc);
    const reviews = await request(svc.app).get('/v1/consent/reviews').set(op.auth).expect(200);
    expect(reviews.body.reviews).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          enrollmentId: s.id,
          accountId: other.id,
          matchedCameoId: verdict.cameoId,
          kind: 'duplicate_face',
        }),
      ]),
    );
    await request(svc.app).get('/v1/consent/reviews').set(other.auth).expect(403);
    const flagged = await svc.rt.db.query(`select id from audit_log where action = 'consent.review_flagged'`);
    expect(flagged.rows.length).toBeGreaterThanOrEqual(1);
  }, 400000);
});
