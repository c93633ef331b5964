import { eyeAspectRatio, mouthOpening, pitchRatio, yawRatio } from '../../faces/geometry';
import type { Point } from '../../faces/types';
import type { FrameObservation } from './track';

/** Per-frame measures of the tracked face; NaN where no face was tracked. */
export interface FaceSeries {
  fps: number;
  t: number[];
  landmarks: (Point[] | undefined)[];
  yaw: number[];
  pitch: number[];
  ear: number[];
  mouth: number[];
}

export function buildSeries(obs: FrameObservation[], fps: number): FaceSeries {
  const s: FaceSeries = { fps, t: [], landmarks: [], yaw: [], pitch: [], ear: [], mouth: [] };
  for (const o of obs) {
    s.t.push(o.t);
    s.landmarks.push(o.landmarks);
    const lm = o.landmarks;
    s.yaw.push(lm ? yawRatio(lm) : NaN);
    s.pitch.push(lm ? pitchRatio(lm) : NaN);
    s.ear.push(lm ? eyeAspectRatio(lm) : NaN);
    s.mouth.push(lm ? mouthOpening(lm) : NaN);
  }
  return s;
}

export function finite(xs: number[]): number[] {
  return xs.filter((x) => Number.isFinite(x));
}

export function median(xs: number[]): number {
  const v = finite(xs).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function quantile(xs: number[], q: number): number {
  const v = finite(xs).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))]!;
}

/** Linear interpolation over NaN gaps (ends held), so correlations see a continuous signal. */
export function fillGaps(xs: number[]): number[] {
  const out = [...xs];
  const idx = out.map((v, i) => (Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return out.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    if (Number.isFinite(out[i]!)) continue;
    const after = idx.find((j) => j > i);
    const before = [...idx].reverse().find((j) => j < i);
    if (before === undefined) out[i] = out[after!]!;
    else if (after === undefined) out[i] = out[before]!;
    else out[i] = out[before]! + ((out[after]! - out[before]!) * (i - before)) / (after - before);
  }
  return out;
}
