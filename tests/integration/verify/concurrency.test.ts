import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import { ff, leftovers, upload, VERIFY_ENV } from './stamp';

// 20 analyses on a two-core machine shared with other jobs: minutes, not seconds.
jest.setTimeout(1_800_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-load-'));
const clips: string[] = [];
beforeAll(() => {
  // Small clips (the 10 s 720p version of this load runs in bench/verify.bench.ts).
  const patterns = ['testsrc2', 'testsrc', 'smptebars', 'rgbtestsrc'];
  for (let i = 0; i < 4; i++) {
    const p = path.join(work, `clip-${i}.mp4`);
    ff(
      '-f',
      'lavfi',
      '-i',
      `${patterns[i]}=s=256x144:r=10:d=2`,
      '-f',
      'lavfi',
      '-i',
      `sine=f=${300 + 100 * i}:d=2`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      p,
    );
    clips.push(p);
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// Media robustness does not depend on the database: run on one backend (PostgreSQL + BullMQ when CI provides them).
describe.each(backends().slice(-1))('20 concurrent verifications ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend, VERIFY_ENV);
  });
  afterAll(() => svc.close());

  it('answers all 20 uploads sent at once, each with a verdict, and leaves no temporary file', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => upload(svc.app, clips[i % clips.length], `clip-${i}.mp4`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const r of results) expect(r.body.verdict).toBe('no_evidence');
    expect(new Set(results.map((r) => r.body.file.name)).size).toBe(20);
    expect(leftovers(svc.dataDir)).toEqual([]);
  });
});
