import {
  affineResidual,
  eyeAspectRatio,
  mouthOpening,
  pitchRatio,
  planarResidual,
  yawRatio,
} from '../../../src/faces/geometry';
import type { Point } from '../../../src/faces/types';
import { FRONTAL, homographyWarp, turned } from './frontal-landmarks';

describe('head pose from 68 landmarks', () => {
  it('reads a frontal face as near zero yaw', () => {
    expect(Math.abs(yawRatio(FRONTAL))).toBeLessThan(0.05);
  });

  it('gives positive yaw when the nose moves to the image right (the person turned to their left) and negative the other way', () => {
    expect(yawRatio(turned(25))).toBeGreaterThan(0.2);
    expect(yawRatio(turned(-25))).toBeLessThan(-0.2);
  });

  it('shortens the nose-to-eye drop when the head tilts up and lengthens it when it tilts down', () => {
    const p0 = pitchRatio(FRONTAL);
    expect(pitchRatio(turned(0, 20))).toBeLessThan(p0 - 0.05);
    expect(pitchRatio(turned(0, -20))).toBeGreaterThan(p0 + 0.05);
  });
});

describe('eyes and mouth', () => {
  it('drops the eye aspect ratio when the eyelids close', () => {
    const closed = FRONTAL.map((p) => [...p] as Point);
    for (const [top, bottom] of [
      [37, 41],
      [38, 40],
      [43, 47],
      [44, 46],
    ] as const) {
      const y = (closed[top]![1] + closed[bottom]![1]) / 2;
      closed[top]![1] = y - 1;
      closed[bottom]![1] = y + 1;
    }
    expect(eyeAspectRatio(FRONTAL)).toBeGreaterThan(0.25);
    expect(eyeAspectRatio(closed)).toBeLessThan(0.1);
  });

  it('measures a wider inner-lip gap as a more open mouth', () => {
    const open = FRONTAL.map((p, i) => (i >= 65 && i <= 67 ? ([p[0], p[1] + 30] as Point) : p));
    expect(mouthOpening(open)).toBeGreaterThan(mouthOpening(FRONTAL) + 0.15);
  });
});

describe('planar residual separates flat-photo warps from 3D head turns', () => {
  it('leaves almost nothing after any perspective warp of a flat face', () => {
    const warped = homographyWarp([0.8, 0.1, 40, -0.05, 0.95, 10, 0.0006, 0.0002, 1]);
    expect(planarResidual(FRONTAL, warped)).toBeLessThan(0.002);
  });

  it('leaves a clear residual after a real 25 degree yaw', () => {
    expect(planarResidual(FRONTAL, turned(25))).toBeGreaterThan(0.03);
  });

  it('scores non-rigid motion: zero for a shifted and scaled copy, positive for a moved jaw', () => {
    const moved = FRONTAL.map(([x, y]) => [x * 1.1 + 5, y * 1.1 - 3] as Point);
    expect(affineResidual(FRONTAL, moved)).toBeLessThan(1e-6);
    const speaking = FRONTAL.map((p, i) =>
      (i >= 5 && i <= 11) || i >= 55 ? ([p[0], p[1] + 15] as Point) : p,
    );
    expect(affineResidual(FRONTAL, speaking)).toBeGreaterThan(0.02);
  });
});
