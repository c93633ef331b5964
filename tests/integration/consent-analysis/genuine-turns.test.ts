import { createHash } from 'node:crypto';
import fs from 'node:fs';
import sharp from 'sharp';
import { analyseRecording, fingerprintSimilarity, type AnalysisReport } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import { detectFaces, faceDistance, SAME_PERSON_MAX_DISTANCE } from '../../../src/faces';
import { probeRecording } from '../../../src/consent/analysis/decode';
import { portraitPhoneVariant, TALKING_B, talkingBChallenge, workDir } from '../../../bench/consent/attacks';

/**
 * selfie/talking-b.mp4: a man who turns to his left, right, then left again, with a soundtrack that
 * is mostly music (Silero VAD hears ~0.7 s of speech in 7.3 s). The challenge is fixed to what
 * the footage shows through createChallenge's generator seam.
 */
// The limits of jest.config.js are for an idle machine; each analysis is ~5-10 s there.
jest.setTimeout(300000);

describe('analysis of genuine footage with head turns (talking-b)', () => {
  let report: AnalysisReport;
  const byName = (n: string) => report.checks.find((c) => c.name === n)!;

  beforeAll(async () => {
    report = await analyseRecording(TALKING_B, createChallenge(talkingBChallenge));
  });

  it('passes every visual liveness check the footage answers', () => {
    for (const name of ['one-face', 'same-identity', 'head-turns', 'blink', 'motion-realism']) {
      expect({ name, passed: byName(name).passed }).toEqual({ name, passed: true });
      expect(byName(name).decisive).toBe(true);
    }
    expect(byName('head-turns').score).toBeGreaterThanOrEqual(1.5);
  });

  it('rejects it only because no speech is heard while the code is due (its soundtrack is music)', () => {
    expect(report.accepted).toBe(false);
    expect(byName('speech-during-code').passed).toBe(false);
    expect(report.reason).toBe('We could not hear you read the code aloud.');
  });

  it('records the presentation-attack model scores as advisory and the spoken code as not checked', () => {
    const pad = byName('presentation-attack-models');
    expect(pad.decisive).toBe(false);
    expect(pad.score).toBeGreaterThan(0);
    expect(byName('spoken-code').passed).toBeNull();
  });

  it('returns a face template that matches the face in the best frame', async () => {
    expect(report.faceTemplate).toHaveLength(128);
    const meta = await sharp(report.bestFrameJpeg).metadata();
    expect(meta.format).toBe('jpeg');
    const faces = await detectFaces(report.bestFrameJpeg);
    expect(faces).toHaveLength(1);
    expect(faceDistance(faces[0]!.descriptor, report.faceTemplate)).toBeLessThan(SAME_PERSON_MAX_DISTANCE);
  });

  it('returns the file hash, duration, a voice template and a fingerprint equal to itself', () => {
    expect(report.sha256).toBe(createHash('sha256').update(fs.readFileSync(TALKING_B)).digest('hex'));
    expect(report.durationSec).toBeCloseTo(7.3, 0);
    expect(report.voiceTemplate).toHaveLength(26);
    expect(Array.from(report.voiceTemplate).every(Number.isFinite)).toBe(true);
    expect(report.fingerprint.frameHashes.length).toBeGreaterThan(10);
    expect(fingerprintSimilarity(report.fingerprint, report.fingerprint)).toBeCloseTo(1, 5);
  });
});

describe('analysis of a portrait phone recording stored sideways with a display rotation (talking-b)', () => {
  let dir: string;
  let clip: string;
  let report: AnalysisReport;
  const byName = (n: string) => report.checks.find((c) => c.name === n)!;

  beforeAll(async () => {
    dir = workDir('portrait-');
    clip = await portraitPhoneVariant(dir, TALKING_B);
    report = await analyseRecording(clip, createChallenge(talkingBChallenge));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sees the picture as displayed: portrait, not the coded landscape frame', async () => {
    const info = await probeRecording(clip);
    expect({ width: info.width, height: info.height }).toEqual({ width: 512, height: 910 });
  });

  it('passes the same visual liveness checks as the upright original, turning left and right the same way', () => {
    for (const name of ['one-face', 'same-identity', 'head-turns', 'blink', 'motion-realism']) {
      expect({ name, passed: byName(name).passed }).toEqual({ name, passed: true });
    }
    expect(byName('head-turns').score).toBeGreaterThanOrEqual(1.5);
  });

  it('keeps an upright best frame (eyes above the mouth) whose face matches the template', async () => {
    const faces = await detectFaces(report.bestFrameJpeg);
    expect(faces).toHaveLength(1);
    expect(faceDistance(faces[0]!.descriptor, report.faceTemplate)).toBeLessThan(SAME_PERSON_MAX_DISTANCE);
    const meanY = (from: number, to: number) => {
      const pts = faces[0]!.landmarks68.slice(from, to);
      return pts.reduce((s, p) => s + p[1], 0) / pts.length;
    };
    // landmarks 36-47 are the eyes, 48-67 the mouth
    expect(meanY(36, 48)).toBeLessThan(meanY(48, 68));
  });
});
