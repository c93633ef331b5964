import { headTurnsCheck, motionRealismCheck, YAW_TURN } from '../../../src/consent/analysis/checks/motion';
import { voiceMatchesFaceCheck } from '../../../src/consent/analysis/checks/voice';
import { oneFaceCheck, sameIdentityCheck } from '../../../src/consent/analysis/checks/face';
import { buildSeries } from '../../../src/consent/analysis/series';
import type { FrameObservation } from '../../../src/consent/analysis/track';
import { AUDIO_RATE } from '../../../src/consent/analysis/limits';
import type { Challenge } from '../../../src/consent/challenge';
import type { Point } from '../../../src/faces/types';
import { FRONTAL, turned } from '../faces/frontal-landmarks';

const FPS = 8;

function challenge(turns: Challenge['turns']): Challenge {
  return {
    id: 'unit',
    turns,
    blink: { window: { startSec: 0, endSec: 8 } },
    code: { digits: '123456', window: { startSec: 4, endSec: 7.5 } },
    durationSec: 8,
  };
}

/** Observations whose landmarks follow yaw(t) degrees, with the jaw opening by mouth(t) pixels. */
function observations(
  seconds: number,
  yaw: (t: number) => number,
  mouth: (t: number) => number = () => 0,
): FrameObservation[] {
  return Array.from({ length: seconds * FPS }, (_, i) => {
    const t = i / FPS;
    const lm = turned(yaw(t)).map((p, k) =>
      (k >= 56 && k <= 58) || (k >= 65 && k <= 67) || (k >= 6 && k <= 10)
        ? ([p[0], p[1] + mouth(t)] as Point)
        : p,
    );
    return { index: i, t, landmarks: lm };
  });
}

describe('head-turns check', () => {
  const asked = challenge([
    { direction: 'left', window: { startSec: 1, endSec: 3 } },
    { direction: 'right', window: { startSec: 3, endSec: 5 } },
  ]);

  it('passes when the person turns left then right inside the windows', () => {
    const obs = observations(8, (t) => (t > 1.5 && t < 2.5 ? 30 : t > 3.5 && t < 4.5 ? -30 : 0));
    const r = headTurnsCheck(buildSeries(obs, FPS), asked);
    expect(r.passed).toBe(true);
    expect(r.score).toBeGreaterThanOrEqual(1);
  });

  it('fails, naming the direction, when the turns come in the wrong order', () => {
    const obs = observations(8, (t) => (t > 1.2 && t < 2.0 ? -30 : t > 4.1 && t < 4.8 ? 30 : 0));
    const r = headTurnsCheck(buildSeries(obs, FPS), asked);
    expect(r.passed).toBe(false);
    expect(r.message).toBe('We could not see you turn left when asked.');
  });

  it('fails a face that never turns, with a score well under the threshold', () => {
    const r = headTurnsCheck(
      buildSeries(
        observations(8, () => 0),
        FPS,
      ),
      asked,
    );
    expect(r.passed).toBe(false);
    expect(r.score).toBeLessThan(0.2);
    expect(YAW_TURN).toBeGreaterThan(0.1);
  });
});

describe('motion-realism check', () => {
  it('fails the landmarks of a still photo (nothing moves)', () => {
    const obs = observations(6, () => 0);
    const r = motionRealismCheck(buildSeries(obs, FPS));
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/barely moved/);
  });

  it('fails a photo slid and zoomed across the frame (rigid 2D motion only)', () => {
    const obs = Array.from({ length: 48 }, (_, i) => {
      const s = 1 + 0.1 * Math.sin(i / 5);
      return {
        index: i,
        t: i / FPS,
        landmarks: FRONTAL.map(([x, y]) => [x * s + 20 * Math.sin(i / 3), y * s + 10 * i] as Point),
      };
    });
    expect(motionRealismCheck(buildSeries(obs, FPS)).passed).toBe(false);
  });

  it('passes a face that speaks and turns in 3D', () => {
    const obs = observations(
      6,
      (t) => 25 * Math.sin(t * 1.5),
      (t) => 12 * Math.abs(Math.sin(t * 9)),
    );
    const r = motionRealismCheck(buildSeries(obs, FPS));
    expect(r.passed).toBe(true);
  });
});

describe('voice-matches-face check', () => {
  const seconds = 8;
  // Syllable-like opening pattern, irregular so that no shifted copy lines up with itself.
  const env = (t: number) =>
    Math.max(0, Math.sin(t * 7.3) + 0.6 * Math.sin(t * 3.1 + 1) + 0.4 * Math.sin(t * 13.7));
  function audio(shiftSec: number): Float32Array {
    const pcm = new Float32Array(seconds * AUDIO_RATE);
    for (let i = 0; i < pcm.length; i++) {
      const t = i / AUDIO_RATE - shiftSec;
      pcm[i] = 0.3 * env(t) * Math.sin(2 * Math.PI * 180 * t) + 0.001 * Math.sin(i);
    }
    return pcm;
  }
  const series = buildSeries(
    observations(
      seconds,
      () => 0,
      (t) => 14 * env(t),
    ),
    FPS,
  );

  it('passes when the loudness follows the mouth opening', () => {
    const r = voiceMatchesFaceCheck(series, audio(0));
    expect(r.passed).toBe(true);
    expect(r.score).toBeGreaterThan(0.6);
  });

  it('fails when the same audio runs 1 s late or 1 s early', () => {
    expect(voiceMatchesFaceCheck(series, audio(1)).passed).toBe(false);
    expect(voiceMatchesFaceCheck(series, audio(-1)).passed).toBe(false);
  });
});

describe('same-identity check', () => {
  const d = (v: number) => {
    const a = new Float32Array(128);
    a[0] = v;
    return a;
  };
  it('fails when half the frames show another person, even though each half is near the median', () => {
    const obs: FrameObservation[] = [0, 0, 0, 0.8, 0.8, 0.8].map((v, i) => ({
      index: i,
      t: i,
      descriptor: d(v),
    }));
    const r = sameIdentityCheck(obs);
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/Two different faces/);
  });
  it('passes descriptors that stay within the same-person distance', () => {
    const obs: FrameObservation[] = [0, 0.1, 0.2, 0.15, 0.05].map((v, i) => ({
      index: i,
      t: i,
      descriptor: d(v),
    }));
    expect(sameIdentityCheck(obs).passed).toBe(true);
  });
});

describe('one-face check', () => {
  /** Detection frames every 0.5 s; `counts[k]` faces found, `tracked` where a miss was tracked through. */
  function detections(counts: number[], tracked: (k: number) => boolean = () => false): FrameObservation[] {
    return counts.map((n, k) => ({
      index: k * 4,
      t: k * 0.5,
      faceCount: n,
      landmarks: n > 0 || tracked(k) ? FRONTAL : undefined,
      trackedThroughMiss: n === 0 && tracked(k) ? true : undefined,
    }));
  }

  it('counts short detector misses the landmarks tracked through, once the face is found again', () => {
    const counts = [1, 1, 1, 0, 0, 1, 1, 1, 1, 1];
    expect(oneFaceCheck(detections(counts)).passed).toBe(false);
    const r = oneFaceCheck(detections(counts, () => true));
    expect(r.passed).toBe(true);
    expect(r.details).toMatchObject({ noFace: 2, bridgedMisses: 2 });
  });

  it('does not bridge a face that is gone for good, nor one gone longer than the tolerance', () => {
    const gone = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    expect(oneFaceCheck(detections(gone, () => true)).details).toMatchObject({ bridgedMisses: 0 });
    const long = [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
    expect(oneFaceCheck(detections(long, (k) => k < 6)).details).toMatchObject({ bridgedMisses: 0 });
  });

  it('fails two faces in several frames whatever the tracking', () => {
    const r = oneFaceCheck(detections([1, 2, 2, 1, 1, 1, 1, 1]));
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/More than one face/);
  });
});
