import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectFile, embedImageFile, embedVideoFile } from '../../../src/watermark';
import { cropAtOffset } from '../../helpers/crops';
import { fixture } from '../../helpers/fixtures';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import { ff, leftovers, signAndRecord, TEST_WATERMARK_KEY_HEX, upload, VERIFY_ENV } from './stamp';

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
    // Before the ledger knows the identifier, the same copy is not attributed to this service. 6% of
    // the area at an offset: the code alone reads 8% under this key (p 3e-10), and 6% at p 4e-7.
    const copy = await cropAtOffset(marked, path.join(work, 'unrecorded-crop.png'), 0.06);
    const before = await upload(svc.app, copy).expect(200);
    expect(before.body.evidence.watermark).toMatchObject({
      detected: false,
      decidedBy: null,
      payloadHex: null,
    });
    expect(before.body.evidence.ledger.found).toBe(false);

    const stamped = await signAndRecord(svc.rt, { path: marked, payloadHex }, path.join(work, 'signed.png'));
    const cropped = await cropAtOffset(stamped.path, path.join(work, 'crop.png'), 0.06);
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

  it("identifies 3 s of a recorded clip's sound after AAC 64 kbit/s by matching every issued identifier, where the decoder and its list cannot", async () => {
    const key = Buffer.from(TEST_WATERMARK_KEY_HEX, 'hex');
    const payloadHex = 'feedc0de87654321';
    const src = path.join(work, 'talk.mp4');
    ff(
      '-i',
      fixture('selfie', 'talking-a.mp4'),
      '-t',
      '10',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-c:a',
      'aac',
      src,
    );
    const marked = path.join(work, 'talk-marked.mp4');
    await embedVideoFile(src, marked, payloadHex, key);
    const stamped = await signAndRecord(
      svc.rt,
      { path: marked, payloadHex },
      path.join(work, 'talk-signed.mp4'),
    );
    const coded = path.join(work, 'talk-64k.m4a');
    ff('-i', stamped.path, '-vn', '-c:a', 'aac', '-b:a', '64k', coded);
    const listOnly = {
      issued: async (ps: string[]) => ({
        issued: new Set(ps.filter((p) => p === payloadHex)),
        issuedCount: 1000,
      }),
    };
    let matched = 0;
    for (const t of [0.1, 1.1, 2.1, 3.1, 4.1, 5.1]) {
      const clip = path.join(work, `talk-64k-${t}.wav`);
      ff('-ss', String(t), '-t', '3', '-i', coded, clip);
      // what the code and the list test make of it, with the ledger knowing the identifier
      // (a window whose sync alone proves the mark is detected with no identifier: still unread)
      if ((await detectFile(clip, key, listOnly)).payloadHex) continue;
      const r = await upload(svc.app, clip).expect(200);
      if (!r.body.evidence.watermark.payloadHex) continue;
      matched++;
      expect(r.body.evidence.watermark).toMatchObject({ decidedBy: 'ledger', payloadHex });
      expect(r.body.evidence.watermark.pValue).toBeLessThanOrEqual(1e-11);
    }
    expect(matched).toBeGreaterThanOrEqual(1);
    expect(leftovers(svc.dataDir)).toEqual([]);
  });
});
