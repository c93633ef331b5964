import fs from 'node:fs';
import { analyseRecording, type AnalysisReport } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import { detectFaces, faceDistance, DIFFERENT_PERSON_MIN_DISTANCE } from '../../../src/faces';
import * as A from '../../../bench/consent/attacks';

jest.setTimeout(300000);

/**
 * selfie/talking-a.mp4: a woman speaking to the camera (speech at 0.4-2.4 s and 4.6-6.2 s) who never
 * turns her head. With the code window on her speech, every check passes except the head turns.
 */
describe('analysis of genuine footage with speech (talking-a)', () => {
  let report: AnalysisReport;
  const byName = (n: string) => report.checks.find((c) => c.name === n)!;

  const dir = A.workDir();
  beforeAll(async () => {
    const clip = await A.trimVariant(dir, A.TALKING_A, A.TALKING_A_SECONDS);
    report = await analyseRecording(clip, createChallenge(A.talkingAChallenge));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hears speech while the code is due and finds the lips in step with it', () => {
    expect(byName('speech-during-code').passed).toBe(true);
    expect(byName('voice-matches-face').passed).toBe(true);
    expect(Math.abs(byName('voice-matches-face').details!.bestNearLagSec as number)).toBeLessThanOrEqual(
      0.25,
    );
  });

  it('passes one face, one identity and a blink, and her face moves non-rigidly like a live face', () => {
    for (const name of ['one-face', 'same-identity', 'blink']) {
      expect({ name, passed: byName(name).passed }).toEqual({ name, passed: true });
    }
    // The other half of motion-realism, out-of-plane parallax, needs the head turns she never makes.
    const realism = byName('motion-realism').details as { nonRigidMedian: number; nonRigidMin: number };
    expect(realism.nonRigidMedian).toBeGreaterThanOrEqual(realism.nonRigidMin);
  });

  it('rejects it for the head turn she never makes, in plain words', () => {
    expect(report.accepted).toBe(false);
    expect(byName('head-turns').passed).toBe(false);
    expect(report.reason).toBe('We could not see you turn left when asked.');
  });

  it("gives a face template far from another enrolled person's (the service's cross-account check)", async () => {
    const other = await detectFaces(fs.readFileSync(await A.grabFrame(dir, A.TALKING_B, 0.5)));
    expect(other).toHaveLength(1);
    expect(faceDistance(report.faceTemplate, other[0]!.descriptor)).toBeGreaterThan(
      DIFFERENT_PERSON_MIN_DISTANCE,
    );
  });
});
