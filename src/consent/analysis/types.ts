import type { Fingerprint } from './fingerprint';

export const CHECK_NAMES = [
  'one-face',
  'same-identity',
  'head-turns',
  'blink',
  'motion-realism',
  'presentation-attack-models',
  'speech-during-code',
  'voice-matches-face',
  'spoken-code',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  /** null when the check could not run (e.g. no digit recogniser configured); it then decides nothing. */
  passed: boolean | null;
  /** Decisive checks must all pass for acceptance; advisory ones are measured and recorded only. */
  decisive: boolean;
  score: number;
  threshold: number;
  /** Plain words for the person enrolling; on failure says what we could not see or hear. */
  message: string;
  /** Numbers behind the score, for operators and the bench. */
  details?: Record<string, unknown>;
}

export interface AnalysisReport {
  accepted: boolean;
  /** The first failed decisive check's message, for the person enrolling. */
  reason?: string;
  checks: CheckResult[];
  challengeId: string;
  /** Mean 128-d face descriptor over the sampled frames (face-api); compare with faceDistance. */
  faceTemplate: Float32Array;
  /** Spectral voice signature of the speech frames; see voice-template.ts for what it is and is not. */
  voiceTemplate: Float32Array;
  /** The sharpest frontal sampled frame, JPEG. */
  bestFrameJpeg: Buffer;
  /** Perceptual fingerprint; compare with fingerprintSimilarity against earlier enrollments. */
  fingerprint: Fingerprint;
  /** Hex sha256 of the uploaded file bytes (exact re-upload). */
  sha256: string;
  durationSec: number;
  timings: Record<string, number>;
}
