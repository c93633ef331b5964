import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import {
  leftovers,
  makeSourceClip,
  markClip,
  signAndRecord,
  transformed,
  upload,
  VERIFY_ENV,
  type Stamped,
} from './stamp';

// A shared, heavily loaded two-core machine: generous timeouts, no timing assertions.
jest.setTimeout(900_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-video-'));
let marked: { path: string; payloadHex: string };
beforeAll(async () => {
  marked = await markClip(makeSourceClip(path.join(work, 'source.mp4')), path.join(work, 'marked.mp4'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// Media robustness does not depend on the database: run on one backend (PostgreSQL + BullMQ when CI provides them).
describe.each(backends().slice(-1))('stamped clips after video transformations ($name)', (backend) => {
  let svc: TestService;
  let stamped: Stamped;
  beforeAll(async () => {
    svc = await startTestService(backend, VERIFY_ENV);
    stamped = await signAndRecord(svc.rt, marked, path.join(work, `signed-${backend.name}.mp4`));
  });
  afterAll(() => svc.close());

  it.each(['h264-crf30.mp4', 'half-size.mp4', 'crop-middle-60.mp4', 'first-3s.mp4'])(
    'still finds %s generated_here, with the stripped manifest recovered',
    async (name) => {
      const file = transformed(stamped.path, work, name);
      const r = await upload(svc.app, file).expect(200);
      expect(r.body.verdict).toBe('generated_here');
      expect(r.body.evidence.manifest.present).toBe(false);
      expect(r.body.evidence.ledger).toMatchObject({
        found: true,
        generationId: stamped.generationId,
        payloadHex: stamped.payloadHex,
      });
      // The watermark carries most copies; the fingerprint is the second, independent route.
      expect(['watermark', 'fingerprint']).toContain(r.body.evidence.ledger.matchedBy);
      if (r.body.evidence.ledger.matchedBy === 'watermark') {
        expect(r.body.evidence.watermark.video.segments.some((s: { detected: boolean }) => s.detected)).toBe(
          true,
        );
      } else {
        expect(r.body.evidence.fingerprint.strong).toBe(true);
      }
      expect(r.body.recoveredManifest).toMatchObject({
        generationId: stamped.generationId,
        url: `/v1/ledger/${stamped.payloadHex}/manifest`,
      });
      expect(leftovers(svc.dataDir)).toEqual([]);
    },
  );
});
