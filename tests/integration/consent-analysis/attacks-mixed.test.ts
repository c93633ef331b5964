import fs from 'node:fs';
import { analyseRecording } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import * as A from '../../../bench/consent/attacks';

// The limits of jest.config.js are for an idle machine; each analysis is ~5-10 s there.
jest.setTimeout(300000);

describe('recordings mixing people or sound are rejected', () => {
  const dir = A.workDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rejects two people side by side as more than one face', async () => {
    const r = await analyseRecording(
      await A.sideBySideAttack(dir, A.TALKING_B, A.TALKING_A),
      createChallenge(A.talkingBChallenge),
    );
    const c = r.checks.find((x) => x.name === 'one-face')!;
    expect(r.accepted).toBe(false);
    expect(c.passed).toBe(false);
    expect(c.message).toMatch(/More than one face appears/);
  });

  it('rejects a recording that cuts from one person to another as two different faces', async () => {
    const r = await analyseRecording(
      await A.cutBetweenAttack(dir, A.TALKING_B, A.TALKING_A, 3.5),
      createChallenge(A.talkingBChallenge),
    );
    const c = r.checks.find((x) => x.name === 'same-identity')!;
    expect(c.passed).toBe(false);
    expect(c.message).toMatch(/^Two different faces appear/);
  });

  it("rejects talking-a's face with talking-b's soundtrack: the voice is not hers", async () => {
    const r = await analyseRecording(
      await A.replacedAudioAttack(dir, A.TALKING_A, A.TALKING_B, 0, 7.3),
      createChallenge(A.talkingAChallenge),
    );
    // talking-b's soundtrack is mostly music, so speech-during-code fails too; the voice check must fail on its own.
    expect(r.accepted).toBe(false);
    expect(r.checks.find((x) => x.name === 'voice-matches-face')!.passed).toBe(false);
  });
});
