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

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-af-'));
let marked: { path: string; payloadHex: string };
let marked720: { path: string; payloadHex: string };
beforeAll(async () => {
  marked = await markClip(makeSourceClip(path.join(work, 'source.mp4')), path.join(work, 'marked.mp4'));
  // Single frames are taken at the production size (1280x720): a frame is one picture, with no
  // other frames to add up, so the test keeps the resolution the watermark is made for.
  marked720 = await markClip(
    makeSourceClip(path.join(work, 'source720.mp4'), { w: 1280, h: 720, sec: 2 }),
    path.join(work, 'marked720.mp4'),
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// Media robustness does not depend on the database: run on one backend (PostgreSQL + BullMQ when CI provides them).
describe.each(backends().slice(-1))(
  'stamped clips reduced to their sound or one frame ($name)',
  (backend) => {
    let svc: TestService;
    let stamped: Stamped;
    let stamped720: Stamped;
    beforeAll(async () => {
      svc = await startTestService(backend, VERIFY_ENV);
      stamped = await signAndRecord(svc.rt, marked, path.join(work, `signed-${backend.name}.mp4`));
      stamped720 = await signAndRecord(svc.rt, marked720, path.join(work, `signed720-${backend.name}.mp4`));
    });
    afterAll(() => svc.close());

    it.each([
      ['audio-only.m4a', 'audio'],
      ['audio-only.mp3', 'audio'],
    ])('still finds %s generated_here from its sound alone', async (name, kind) => {
      const r = await upload(svc.app, transformed(stamped.path, work, name)).expect(200);
      expect(r.body.file.kind).toBe(kind);
      expect(r.body.verdict).toBe('generated_here');
      expect(r.body.evidence.ledger).toMatchObject({ found: true, generationId: stamped.generationId });
      expect(r.body.thumbnail).toBeNull();
      expect(r.body.recoveredManifest.generationId).toBe(stamped.generationId);
      expect(leftovers(svc.dataDir)).toEqual([]);
    });

    it.each(['frame.png', 'frame.jpg'])(
      'still finds a single frame saved as %s generated_here',
      async (name) => {
        const r = await upload(svc.app, transformed(stamped720.path, work, name)).expect(200);
        expect(r.body.file.kind).toBe('image');
        expect(r.body.verdict).toBe('generated_here');
        expect(r.body.evidence.ledger).toMatchObject({ found: true, generationId: stamped720.generationId });
        expect(r.body.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
        expect(leftovers(svc.dataDir)).toEqual([]);
      },
    );
  },
);
