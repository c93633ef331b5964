import fs from 'node:fs';
import { analyseRecording, fingerprintSimilarity, REUPLOAD_SIMILARITY } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import * as A from '../../../bench/consent/attacks';

describe('shifted audio and re-uploads', () => {
  const dir = A.workDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("rejects talking-a with its own audio 1 s late: the lips no longer follow the voice", async () => {
    const r = await analyseRecording(await A.shiftedAudioAttack(dir, A.TALKING_A, 1, 15), createChallenge(A.talkingAChallenge));
    const c = r.checks.find((x) => x.name === 'voice-matches-face')!;
    expect(c.passed).toBe(false);
  });

  it('recognises a re-encoded, trimmed copy as a re-upload by fingerprint, not by hash', async () => {
    const challenge = createChallenge(A.talkingBChallenge);
    const original = await analyseRecording(A.TALKING_B, challenge);
    const copy = await analyseRecording(await A.trimVariant(dir, await A.reencodeVariant(dir, A.TALKING_B, 32), 6.5), challenge);
    expect(copy.sha256).not.toBe(original.sha256);
    expect(fingerprintSimilarity(original.fingerprint, copy.fingerprint)).toBeGreaterThanOrEqual(REUPLOAD_SIMILARITY);
    const other = await analyseRecording(A.TALKING_A, createChallenge(A.talkingAChallenge));
    expect(fingerprintSimilarity(original.fingerprint, other.fingerprint)).toBeLessThan(REUPLOAD_SIMILARITY);
  });
});
