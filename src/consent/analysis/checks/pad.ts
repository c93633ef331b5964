import type { PadScores } from '../pad';
import type { CheckResult } from '../types';

/**
 * The human PAD models are advisory: in the bench (bench/consent.bench.ts) their scores for the
 * genuine selfie clips and for photo attacks overlap, so they are recorded, not decisive.
 * The threshold is the models' own 0.5 midpoint.
 */
export const PAD_THRESHOLD = 0.5;

export function padCheck(scores: PadScores[]): CheckResult {
  const n = scores.length;
  const antispoof = n ? scores.reduce((s, x) => s + x.antispoof, 0) / n : 0;
  const liveness = n ? scores.reduce((s, x) => s + x.liveness, 0) / n : 0;
  const score = Math.min(antispoof, liveness);
  const passed = n > 0 && score >= PAD_THRESHOLD;
  return {
    name: 'presentation-attack-models',
    passed,
    decisive: false,
    score,
    threshold: PAD_THRESHOLD,
    message: passed
      ? 'The face looks like a live face to the presentation-attack models.'
      : 'The face looked like a photo or screen to the presentation-attack models (advisory).',
    details: { frames: n, antispoofMean: antispoof, livenessMean: liveness },
  };
}
