import type { Challenge } from '../../challenge';
import { AUDIO_RATE } from '../limits';
import { fillGaps, type FaceSeries } from '../series';
import type { CheckResult } from '../types';
import { overlapSeconds, speechSegments } from '../vad';

/** Share of the code window that must hold speech: six digits take ~2-2.5 s of a 3.5 s window. */
export const SPEECH_MIN_SHARE = 0.35;
export const CODE_GRACE_SEC = 0.75;

export function speechDuringCodeCheck(probs: Float32Array, challenge: Challenge): CheckResult {
  const w = challenge.code.window;
  const span = w.endSec + CODE_GRACE_SEC - w.startSec;
  const segments = speechSegments(probs);
  const secs = overlapSeconds(segments, w.startSec, w.endSec + CODE_GRACE_SEC);
  const share = secs / span;
  const passed = share >= SPEECH_MIN_SHARE;
  return {
    name: 'speech-during-code',
    passed,
    decisive: true,
    score: share,
    threshold: SPEECH_MIN_SHARE,
    message: passed
      ? 'We heard you speak while the code was shown.'
      : 'We could not hear you read the code aloud.',
    details: { speechSeconds: secs, windowSeconds: span, segments },
  };
}

/** Log RMS of the audio in a window centred on each video frame. */
export function energyAtFrames(pcm: Float32Array, t: number[], halfWidthSec: number): number[] {
  const hw = Math.round(halfWidthSec * AUDIO_RATE);
  return t.map((ts) => {
    const c = Math.round(ts * AUDIO_RATE);
    const a = Math.max(0, c - hw);
    const b = Math.min(pcm.length, c + hw);
    let s = 0;
    for (let i = a; i < b; i++) s += pcm[i]! * pcm[i]!;
    return b > a ? Math.log10(Math.sqrt(s / (b - a)) + 1e-4) : -4;
  });
}

function corrAtLag(x: number[], y: number[], lag: number): number {
  let n = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    const j = i + lag;
    if (j < 0 || j >= y.length) continue;
    mx += x[i]!;
    my += y[j]!;
    n++;
  }
  if (n < 8) return 0;
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const j = i + lag;
    if (j < 0 || j >= y.length) continue;
    sxy += (x[i]! - mx) * (y[j]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[j]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Correlation of mouth opening with speech energy at lags within this are "in sync" (lip-sync tolerance). */
export const SYNC_MAX_LAG_SEC = 0.25;
/**
 * Weak on purpose, and weakly separating: on the selfie fixtures (lip-synced clips over music) the
 * genuine in-sync correlation is only 0.15-0.26, and a 1 s shift of selfie/talking-b's rhythmic
 * soundtrack correlates about as well as the original. The decisive part is mostly "no far lag
 * fits better"; see README.md and the bench's APCER for what this check catches.
 */
export const SYNC_MIN_CORR = 0.12;
/** Lags from here to SYNC_SEARCH_SEC are "elsewhere": a mouth signal correlates with its own near neighbours. */
export const SYNC_FAR_LAG_SEC = 0.5;
/** Lags searched for a better fit elsewhere (an audio track shifted by up to this much). */
export const SYNC_SEARCH_SEC = 1.5;

/**
 * The voice belongs to the face on camera: the mouth opens when the sound is loud. Pearson
 * correlation of the mouth-opening series with the audio log-energy series, at lags up to
 * ±SYNC_SEARCH_SEC; passes when the best correlation within ±SYNC_MAX_LAG_SEC is strong enough and
 * no lag further away fits better (audio shifted or taken from another take).
 */
export function voiceMatchesFaceCheck(s: FaceSeries, pcm: Float32Array): CheckResult {
  const mouth = fillGaps(s.mouth);
  const energy = energyAtFrames(pcm, s.t, 0.5 / s.fps + 0.03);
  const maxNear = Math.round(SYNC_MAX_LAG_SEC * s.fps);
  const maxFar = Math.round(SYNC_SEARCH_SEC * s.fps);
  const minFar = Math.round(SYNC_FAR_LAG_SEC * s.fps);
  let near = -1;
  let nearLag = 0;
  let far = -1;
  let farLag = 0;
  for (let lag = -maxFar; lag <= maxFar; lag++) {
    const c = corrAtLag(mouth, energy, lag);
    if (Math.abs(lag) <= maxNear) {
      if (c > near) [near, nearLag] = [c, lag];
    } else if (Math.abs(lag) >= minFar && c > far) [far, farLag] = [c, lag];
  }
  const passed = near >= SYNC_MIN_CORR && near >= far;
  let message = 'Your lips move with the voice on the recording.';
  if (!passed) {
    message =
      near < SYNC_MIN_CORR
        ? 'The voice on the recording does not match your lip movements.'
        : 'The sound is out of step with your lips; the audio seems shifted or dubbed.';
  }
  return {
    name: 'voice-matches-face',
    passed,
    decisive: true,
    score: near,
    threshold: SYNC_MIN_CORR,
    message,
    details: { bestNearLagSec: nearLag / s.fps, bestFarCorr: far, bestFarLagSec: farLag / s.fps },
  };
}
