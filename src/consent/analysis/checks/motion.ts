import { affineResidual, planarResidual } from '../../../faces/geometry';
import type { Challenge, TimeWindow, TurnDirection } from '../../challenge';
import { finite, median, quantile, type FaceSeries } from '../series';
import type { CheckResult } from '../types';
import type { EyeTrace } from '../eyes';

/**
 * Yaw ratio change from the recording's median that counts as a turn (frontal jitter is ±0.1,
 * the turns in selfie/talking-b reach 0.35-0.6).
 */
export const YAW_TURN = 0.2;
/** Pitch ratio change (nose drop below the eye line, interocular units) that counts as up/down. */
export const PITCH_TURN = 0.07;
/** People react late to a prompt: a turn may finish this long after its window closes. */
export const TURN_GRACE_SEC = 0.75;

function inWindow(t: number, w: TimeWindow, grace: number): boolean {
  return t >= w.startSec && t <= w.endSec + grace;
}

/** Signed deviation in the asked direction: positive means "turned that way". */
function deviation(s: FaceSeries, i: number, dir: TurnDirection, yaw0: number, pitch0: number): number {
  switch (dir) {
    case 'left':
      return s.yaw[i]! - yaw0;
    case 'right':
      return yaw0 - s.yaw[i]!;
    case 'up':
      return pitch0 - s.pitch[i]!;
    case 'down':
      return s.pitch[i]! - pitch0;
  }
}

export function headTurnsCheck(s: FaceSeries, challenge: Challenge): CheckResult {
  const yaw0 = median(s.yaw);
  const pitch0 = median(s.pitch);
  const perTurn: { direction: TurnDirection; peak: number; atSec: number | null; ratio: number }[] = [];
  let lastPeakT = -Infinity;
  for (const turn of challenge.turns) {
    const thr = turn.direction === 'left' || turn.direction === 'right' ? YAW_TURN : PITCH_TURN;
    let peak = -Infinity;
    let at: number | null = null;
    for (let i = 0; i < s.t.length; i++) {
      if (!inWindow(s.t[i]!, turn.window, TURN_GRACE_SEC) || s.t[i]! <= lastPeakT) continue;
      const d = deviation(s, i, turn.direction, yaw0, pitch0);
      if (Number.isFinite(d) && d > peak) {
        peak = d;
        at = s.t[i]!;
      }
    }
    perTurn.push({
      direction: turn.direction,
      peak,
      atSec: at,
      ratio: Number.isFinite(peak) ? peak / thr : 0,
    });
    // Order: the next turn must peak after this one did.
    if (at !== null && peak >= thr) lastPeakT = at;
  }
  const score = Math.min(...perTurn.map((p) => p.ratio));
  const missed = perTurn.find((p) => p.ratio < 1);
  return {
    name: 'head-turns',
    passed: !missed,
    decisive: true,
    score,
    threshold: 1,
    message: missed
      ? `We could not see you turn ${missed.direction === 'up' || missed.direction === 'down' ? 'your head ' : ''}${missed.direction} when asked.`
      : 'You turned your head as asked, in order.',
    details: { yawBaseline: yaw0, pitchBaseline: pitch0, turns: perTurn },
  };
}

/**
 * A blink: the eye-region contrast (sclera against iris, eyes/grayEyeContrast) falls to under
 * (1 - BLINK_DIP) of its running level for at most BLINK_MAX_SEC and comes back. Measured
 * (bench/consent/probe7.ts): the genuine selfie clips dip 0.39-0.42 at their blinks, a still photo
 * 0.00, photos rotated or perspective-warped 0.05-0.21 (eye boxes sliding over a printed eye).
 * The margin is thin: this check is decisive but it is one of several a photo must beat.
 */
export const BLINK_DIP = 0.3;
export const BLINK_MAX_SEC = 0.5;

export function blinkCheck(s: FaceSeries, eyes: EyeTrace, window: TimeWindow): CheckResult {
  const yaw0 = median(s.yaw);
  const span = Math.round(eyes.fps * 1);
  const gap = Math.round(eyes.fps * BLINK_MAX_SEC);
  let best = 0;
  let at: number | null = null;
  for (let i = 0; i < eyes.t.length; i++) {
    const c = eyes.contrast[i]!;
    if (!Number.isFinite(c) || !inWindow(eyes.t[i]!, window, 0)) continue;
    // Turned faces foreshorten the eyes: a dip there is pose, not a blink.
    const k = Math.round(eyes.t[i]! * s.fps);
    if (!(Math.abs(s.yaw[k]! - yaw0) <= 0.15)) continue;
    const level = median(eyes.contrast.slice(Math.max(0, i - span), i + span + 1));
    if (!(level > 0)) continue;
    const dip = 1 - c / level;
    // Reopened: within BLINK_MAX_SEC on both sides the contrast is back near its level.
    const before = finite(eyes.contrast.slice(Math.max(0, i - gap), i));
    const after = finite(eyes.contrast.slice(i + 1, i + 1 + gap));
    if (!before.length || !after.length) continue;
    const reopened = Math.max(...before) >= level * 0.85 && Math.max(...after) >= level * 0.85;
    if (reopened && dip > best) {
      best = dip;
      at = eyes.t[i]!;
    }
  }
  const passed = best >= BLINK_DIP;
  return {
    name: 'blink',
    passed,
    decisive: true,
    score: best,
    threshold: BLINK_DIP,
    message: passed ? 'We saw you blink.' : 'We could not see you blink.',
    details: { atSec: at, framesMeasured: finite(eyes.contrast).length, fps: eyes.fps },
  };
}

/**
 * Non-rigid frame-to-frame motion (affine residual of all 68 landmarks between consecutive
 * frames, interocular units): a face moving, speaking, blinking shows it; a still photo, a
 * slideshow, or a photo panned or zoomed shows landmark noise only.
 */
export const NONRIGID_MIN = 0.012;
/**
 * Out-of-plane parallax: residual of the best homography between the most frontal frame and the
 * others, on skull-rigid points (nose, eye corners, upper jaw). Any warp of a flat photo is a
 * homography; a head turning in 3D is not.
 */
export const PARALLAX_MIN = 0.03;

export function motionRealismCheck(s: FaceSeries): CheckResult {
  const idx = s.landmarks.map((l, i) => (l ? i : -1)).filter((i) => i >= 0);
  const steps: number[] = [];
  for (let k = 1; k < idx.length; k++) {
    if (idx[k]! - idx[k - 1]! !== 1) continue;
    steps.push(affineResidual(s.landmarks[idx[k - 1]!]!, s.landmarks[idx[k]!]!));
  }
  const nonRigid = median(steps);
  const yaw0 = median(s.yaw);
  let ref = idx[0];
  for (const i of idx) if (Math.abs(s.yaw[i]! - yaw0) < Math.abs(s.yaw[ref!]! - yaw0)) ref = i;
  const parallaxes =
    ref === undefined ? [] : idx.map((i) => planarResidual(s.landmarks[ref!]!, s.landmarks[i]!));
  const parallax = quantile(parallaxes, 0.9);
  const a = Number.isFinite(nonRigid) ? nonRigid / NONRIGID_MIN : 0;
  const b = Number.isFinite(parallax) ? parallax / PARALLAX_MIN : 0;
  const score = Math.min(a, b);
  const passed = score >= 1;
  let message = 'Your face moves like a real face.';
  if (!passed) {
    message =
      a < 1
        ? 'Your face barely moved, as a photo would; look at the camera and follow the prompts.'
        : 'Your head turns looked flat, like a moving photo; turn your head, not the camera.';
  }
  return {
    name: 'motion-realism',
    passed,
    decisive: true,
    score,
    threshold: 1,
    message,
    details: {
      nonRigidMedian: nonRigid,
      nonRigidMin: NONRIGID_MIN,
      parallaxP90: parallax,
      parallaxMin: PARALLAX_MIN,
      steps: steps.length,
    },
  };
}
