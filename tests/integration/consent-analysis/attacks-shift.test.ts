import fs from 'node:fs';
import {
  analyseRecording,
  fingerprintRecording,
  fingerprintSimilarity,
  REUPLOAD_SIMILARITY,
} from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import * as A from '../../../bench/consent/attacks';

jest.setTimeout(300000);

describe('shifted audio and re-uploads', () => {
  const dir = A.workDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rejects talking-a with its own audio 1 s late: the lips no longer follow the voice', async () => {
    const clip = await A.shiftedAudioAttack(dir, A.TALKING_A, 1, A.TALKING_A_SECONDS);
    const r = await analyseRecording(clip, createChallenge(A.talkingAChallenge));
    const c = r.checks.find((x) => x.name === 'voice-matches-face')!;
    expect(c.passed).toBe(false);
  });

  it('recognises a re-encoded, trimmed copy as a re-upload by fingerprint, not by hash', async () => {
    const original = await fingerprintRecording(A.TALKING_B);
    const copy = await fingerprintRecording(
      await A.trimVariant(dir, await A.reencodeVariant(dir, A.TALKING_B, 32), 6.5),
    );
    expect(copy.sha256).not.toBe(original.sha256);
    expect(fingerprintSimilarity(original.fingerprint, copy.fingerprint)).toBeGreaterThanOrEqual(
      REUPLOAD_SIMILARITY,
    );
    const other = await fingerprintRecording(A.TALKING_A);
    expect(fingerprintSimilarity(original.fingerprint, other.fingerprint)).toBeLessThan(REUPLOAD_SIMILARITY);
  });

  it('recognises a letterboxed or pillarboxed copy: flat bars are stripped before hashing', async () => {
    const original = await fingerprintRecording(A.TALKING_B);
    for (const copy of [
      await A.letterboxVariant(dir, A.TALKING_B, 1280, 720),
      await A.letterboxVariant(dir, A.TALKING_B, 480, 640, 'white'),
    ]) {
      const fp = await fingerprintRecording(copy);
      expect(fingerprintSimilarity(original.fingerprint, fp.fingerprint)).toBeGreaterThanOrEqual(
        REUPLOAD_SIMILARITY,
      );
    }
  });
});
