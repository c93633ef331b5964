import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { embedImageFile } from '../../../src/watermark';
import { fixture } from '../../helpers/fixtures';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import { leftovers, signAndRecord, TEST_WATERMARK_KEY_HEX, upload, VERIFY_ENV } from './stamp';

jest.setTimeout(600_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-ledger-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Keeps 35% of the picture's area at an offset: the mark's origin is lost and only the full search can find it. */
async function crop35(src: string, out: string): Promise<string> {
  const m = await sharp(src).metadata();
  await sharp(src)
    .extract({
      left: Math.round(m.width! * 0.13) + 3,
      top: Math.round(m.height! * 0.21) + 5,
      width: Math.round(m.width! * Math.sqrt(0.35)),
      height: Math.round(m.height! * Math.sqrt(0.35)),
    })
    .png()
    .toFile(out);
  return out;
}

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
    const copy = await crop35(marked, path.join(work, 'unrecorded-crop.png'));
    const before = await upload(svc.app, copy).expect(200);
    expect(before.body.evidence.watermark).toMatchObject({
      detected: false,
      decidedBy: null,
      payloadHex: null,
    });
    expect(before.body.evidence.ledger.found).toBe(false);

    const stamped = await signAndRecord(svc.rt, { path: marked, payloadHex }, path.join(work, 'signed.png'));
    const cropped = await crop35(stamped.path, path.join(work, 'crop.png'));
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
