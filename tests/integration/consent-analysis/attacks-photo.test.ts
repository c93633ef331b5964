import fs from 'node:fs';
import { analyseRecording } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import * as A from '../../../bench/consent/attacks';

/** Photo attacks built from talking-b's own frames, answered against the challenge talking-b passes. */
// The limits of jest.config.js are for an idle machine; each analysis is ~5-10 s there.
jest.setTimeout(300000);

describe('photo presentation attacks are rejected', () => {
  const dir = A.workDir();
  const challenge = createChallenge(A.talkingBChallenge);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rejects a still photo with the real audio: it never moves, turns or blinks', async () => {
    const photo = await A.grabFrame(dir, A.TALKING_B, 0.5);
    const r = await analyseRecording(await A.stillPhotoAttack(dir, photo, A.TALKING_B), challenge);
    expect(r.accepted).toBe(false);
    const failed = r.checks.filter((c) => c.passed === false).map((c) => c.name);
    expect(failed).toEqual(expect.arrayContaining(['motion-realism', 'head-turns', 'blink']));
  });

  it('rejects a slideshow of frontal and turned photos even though the turns line up', async () => {
    const photos = await Promise.all([0.5, 1.75, 3.15].map((t) => A.grabFrame(dir, A.TALKING_B, t)));
    const r = await analyseRecording(await A.slideshowAttack(dir, photos, A.TALKING_B, 1), challenge);
    expect(r.accepted).toBe(false);
    expect(r.checks.find((c) => c.name === 'motion-realism')!.passed).toBe(false);
  });

  it('rejects a photo swivelled in perspective to fake the turns: the warp is planar', async () => {
    const photo = await A.grabFrame(dir, A.TALKING_B, 0.5);
    const r = await analyseRecording(
      await A.warpedPhotoAttack(dir, photo, A.TALKING_B, 'perspective-turns'),
      challenge,
    );
    expect(r.accepted).toBe(false);
    const realism = r.checks.find((c) => c.name === 'motion-realism')!;
    expect(realism.passed).toBe(false);
    expect(r.checks.find((c) => c.name === 'head-turns')!.passed).toBe(false);
  });
});
