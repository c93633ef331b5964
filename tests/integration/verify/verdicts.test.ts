import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ledgerRepository } from '../../../src/ledger';
import { createProvenance } from '../../../src/provenance';
import { backends, quietLogger, startTestService, type TestService } from '../../helpers/runtime';
import {
  leftovers,
  makeSourceClip,
  markClip,
  signAndRecord,
  upload,
  VERIFY_ENV,
  type Stamped,
} from './stamp';

// This machine is shared and often loaded far beyond its two cores: generous timeouts, no timing assertions.
jest.setTimeout(900_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-verdicts-'));
let marked: { path: string; payloadHex: string };
let plain: string;

beforeAll(async () => {
  const src = makeSourceClip(path.join(work, 'source.mp4'));
  marked = await markClip(src, path.join(work, 'marked.mp4'));
  plain = makeSourceClip(path.join(work, 'plain.mp4'), { picture: 'testsrc', melody: 'b' });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(backends())('verification verdicts ($name)', (backend) => {
  let svc: TestService;
  let stamped: Stamped;
  beforeAll(async () => {
    svc = await startTestService(backend, VERIFY_ENV);
    stamped = await signAndRecord(svc.rt, marked, path.join(work, `signed-${backend.name}.mp4`));
  });
  afterAll(() => svc.close());

  it('finds a signed output generated_here by its exact bytes, with a valid trusted manifest of ours and the watermark', async () => {
    const r = await upload(svc.app, stamped.path).expect(200);
    expect(r.body.verdict).toBe('generated_here');
    expect(r.body.evidence.ledger).toMatchObject({
      found: true,
      matchedBy: 'content_hash',
      generationId: stamped.generationId,
      payloadHex: stamped.payloadHex,
      takenDown: false,
    });
    expect(r.body.evidence.manifest).toMatchObject({
      present: true,
      verdict: 'valid_trusted',
      signedByThisService: true,
      generationId: stamped.generationId,
    });
    expect(r.body.evidence.watermark).toMatchObject({
      checked: true,
      detected: true,
      payloadHex: stamped.payloadHex,
    });
    expect(r.body.evidence.watermark.video.segments.length).toBeGreaterThan(0);
    // The exact bytes already named the ledger entry: the fingerprint's decode is not spent.
    expect(r.body.evidence.fingerprint).toMatchObject({
      checked: false,
      note: expect.stringMatching(/exact file/),
    });
    expect(r.body.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
    expect(r.body.file).toMatchObject({ kind: 'video', mimeType: 'video/mp4', width: 640, height: 360 });
    expect(leftovers(svc.dataDir)).toEqual([]);
  });

  it('reads the whole clip and every signal with ?scope=whole, where the default stops after the first 3 s', async () => {
    const quick = await upload(svc.app, stamped.path).expect(200);
    expect(quick.body.evidence.watermark.video.secondsUsed).toBeLessThanOrEqual(3.1);
    expect(quick.body.evidence.watermark.note).toMatch(/first 3 s/);
    const whole = await request(svc.app)
      .post('/v1/verify?scope=whole')
      .attach('file', stamped.path, 'whole.mp4')
      .expect(200);
    expect(whole.body.verdict).toBe('generated_here');
    expect(whole.body.evidence.watermark.note).toBeNull();
    expect(whole.body.evidence.watermark.video.secondsUsed).toBeGreaterThan(3.5);
    expect(whole.body.evidence.watermark.video.segments).toHaveLength(2);
    expect(whole.body.evidence.watermark.audio).not.toBeNull();
    expect(whole.body.evidence.fingerprint).toMatchObject({ checked: true, strong: true, note: null });
    const bad = await request(svc.app)
      .post('/v1/verify?scope=everything')
      .attach('file', stamped.path)
      .expect(400);
    expect(bad.body.error.code).toBeTruthy();
    expect(leftovers(svc.dataDir)).toEqual([]);
  });

  it('reports a clip never made here as no_evidence', async () => {
    const r = await upload(svc.app, plain).expect(200);
    expect(r.body.verdict).toBe('no_evidence');
    expect(r.body.evidence.ledger.found).toBe(false);
    expect(r.body.evidence.watermark.detected).toBe(false);
    expect(r.body.evidence.fingerprint).toMatchObject({ checked: true, strong: false, note: null });
    expect(r.body.evidence.watermark.note).toBeNull();
    expect(r.body.recoveredManifest).toBeNull();
    expect(r.body.explanation).toMatch(/No evidence/);
  });

  it('reports a file signed by another CA declaring trainedAlgorithmicMedia as ai_generated_elsewhere', async () => {
    // Another service: its own development CA, which this service does not trust.
    const otherDir = fs.mkdtempSync(path.join(work, 'other-ca-'));
    const other = await createProvenance({ dataDir: otherDir, logger: quietLogger });
    const signedElsewhere = path.join(work, `elsewhere-${backend.name}.mp4`);
    await other.signFile(plain, signedElsewhere, {
      generationId: 'elsewhere-1',
      model: { name: 'other-model', version: '2' },
      cameoRefs: [],
    });
    const r = await upload(svc.app, signedElsewhere).expect(200);
    expect(r.body.verdict).toBe('ai_generated_elsewhere');
    expect(r.body.evidence.manifest).toMatchObject({ present: true, signedByThisService: false });
    expect(['valid_untrusted', 'valid_trusted']).toContain(r.body.evidence.manifest.verdict);
    expect(r.body.evidence.manifest.digitalSourceType).toMatch(/trainedAlgorithmicMedia$/);
    expect(r.body.evidence.ledger.found).toBe(false);
  });

  it('reports a stamped clip with one byte flipped as tampered, still naming where it came from', async () => {
    const bytes = fs.readFileSync(stamped.path);
    // A byte well inside the media data, past the manifest and index boxes.
    const at = Math.floor(bytes.length * 0.6);
    bytes[at] ^= 0xff;
    const flipped = path.join(work, `flipped-${backend.name}.mp4`);
    fs.writeFileSync(flipped, bytes);
    const r = await upload(svc.app, flipped).expect(200);
    expect(r.body.verdict).toBe('tampered');
    expect(r.body.evidence.manifest.present).toBe(true);
    expect(['tampered', 'invalid']).toContain(r.body.evidence.manifest.verdict);
    expect(r.body.evidence.ledger).toMatchObject({ found: true, generationId: stamped.generationId });
    expect(r.body.explanation).toMatch(/changed after it was signed/);
  });

  it('recovers the original manifest of a stripped copy, over HTTP by payload too, and says when the clip was taken down', async () => {
    const stripped = path.join(work, `stripped-${backend.name}.mp4`);
    fs.writeFileSync(
      stripped,
      await svc.rt.provenance.stripManifest!(fs.readFileSync(stripped.replace('stripped', 'signed'))),
    );
    const r = await upload(svc.app, stripped).expect(200);
    expect(r.body.verdict).toBe('generated_here');
    expect(r.body.evidence.manifest.present).toBe(false);
    expect(['watermark', 'fingerprint']).toContain(r.body.evidence.ledger.matchedBy);
    expect(r.body.recoveredManifest).toMatchObject({
      payloadHex: stamped.payloadHex,
      generationId: stamped.generationId,
      takenDown: false,
    });
    expect(r.body.recoveredManifest.manifest).toMatchObject({
      verdict: 'valid_trusted',
      generationId: stamped.generationId,
    });

    await svc.rt.db.transaction((tx) =>
      ledgerRepository.markTakenDown(tx, stamped.generationId, 'cameo revoked'),
    );
    const m = await request(svc.app).get(`/v1/ledger/${stamped.payloadHex}/manifest`).expect(200);
    expect(m.body).toMatchObject({
      generationId: stamped.generationId,
      takenDown: true,
      takedownReason: 'cameo revoked',
    });
    expect(m.body.manifest.generationId).toBe(stamped.generationId);
    expect(JSON.parse(m.body.manifestStoreJson)).toHaveProperty('active_manifest');
    expect(m.body.manifestStoreJson).toContain(stamped.generationId);
    const again = await upload(svc.app, stripped).expect(200);
    expect(again.body.evidence.ledger.takenDown).toBe(true);
    expect(again.body.explanation).toMatch(/taken down/);

    await request(svc.app).get('/v1/ledger/00000000000000aa/manifest').expect(404);
    await request(svc.app).get('/v1/ledger/not-hex/manifest').expect(400);
  });
});
