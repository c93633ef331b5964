import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embedImageFile } from '../../../src/watermark';
import { cropAtOffset } from '../../helpers/crops';
import { fixture } from '../../helpers/fixtures';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import { leftovers, signAndRecord, TEST_WATERMARK_KEY_HEX, upload, VERIFY_ENV } from './stamp';

jest.setTimeout(600_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-ledger-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// The decision rests on the ledger's contents: one backend is enough (PostgreSQL when CI provides it).
describe.each(backends().slice(-1))('verification decided by the ledger ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend, VERIFY_ENV);
  });
  afterAll(() => svc.close());

  it('identifies a cropped copy whose mark alone is too weak, because its payload names an issued identifier', async () => {
    const payloadHex = '00c0ffee12345678';
    const marked = path.join(work, 'marked.png');
    await embedImageFile(
      fixture('faces', 'obama-1.jpg'),
      marked,
      payloadHex,
      Buffer.from(TEST_WATERMARK_KEY_HEX, 'hex'),
    );
    // Before the ledger knows the identifier, the same copy is not attributed to this service.
    const copy = await cropAtOffset(marked, path.join(work, 'unrecorded-crop.png'), 0.35);
    const before = await upload(svc.app, copy).expect(200);
    expect(before.body.evidence.watermark).toMatchObject({
      detected: false,
      decidedBy: null,
      payloadHex: null,
    });
    expect(before.body.evidence.ledger.found).toBe(false);

    const stamped = await signAndRecord(svc.rt, { path: marked, payloadHex }, path.join(work, 'signed.png'));
    const cropped = await cropAtOffset(stamped.path, path.join(work, 'crop.png'), 0.35);
    const r = await upload(svc.app, cropped).expect(200);
    expect(r.body.verdict).toBe('generated_here');
    expect(r.body.evidence.manifest.present).toBe(false);
    expect(r.body.evidence.watermark).toMatchObject({ detected: true, decidedBy: 'ledger', payloadHex });
    expect(r.body.evidence.watermark.pValue).toBeLessThanOrEqual(1e-11);
    expect(r.body.evidence.ledger).toMatchObject({
      found: true,
      matchedBy: 'watermark',
      generationId: stamped.generationId,
    });
    expect(r.body.recoveredManifest.generationId).toBe(stamped.generationId);
    expect(leftovers(svc.dataDir)).toEqual([]);
  });
});
