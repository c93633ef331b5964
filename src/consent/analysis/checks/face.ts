import { DIFFERENT_PERSON_MIN_DISTANCE, faceDistance, medianDescriptor } from '../../../faces/match';

/**
 * Largest descriptor distance allowed between any two sampled frames of one recording. Frames of
 * one person talking and pulling faces reach 0.49 apart with detector crops (selfie/talking-a)
 * and a little more with tracked crops; two different people are >= 0.70 apart (talking-a vs
 * talking-b: 0.87). So within a recording the line is DIFFERENT_PERSON_MIN_DISTANCE, not the
 * 0.55 used to match a face against an enrolled template.
 */
export const SAME_RECORDING_MAX_DISTANCE = DIFFERENT_PERSON_MIN_DISTANCE;
import type { CheckResult } from '../types';
import { MAX_BRIDGED_MISSES, type FrameObservation } from '../track';

/** Share of detection frames that must show exactly one face (a face turned away can be missed briefly). */
export const ONE_FACE_MIN_SHARE = 0.85;
/** Detection frames with two or more faces tolerated (a detector false positive in the background). */
export const MULTI_FACE_MAX_FRAMES = 1;

export function oneFaceCheck(obs: FrameObservation[]): CheckResult {
  const detected = obs.filter((o) => o.faceCount !== undefined);
  // A detector miss counts as the face still there when the landmarks kept tracking it and the
  // detectors find a face again within MAX_BRIDGED_MISSES detection frames (a turn's far end, a
  // blurred or heavily compressed frame); a face that leaves the picture is not found again.
  const bridged = detected.filter((o, k) => {
    if (o.faceCount !== 0 || !o.trackedThroughMiss || !o.landmarks) return false;
    for (let j = k + 1; j < detected.length && j <= k + MAX_BRIDGED_MISSES; j++) {
      if ((detected[j]!.faceCount ?? 0) >= 1) return true;
      if (!detected[j]!.trackedThroughMiss) return false;
    }
    return false;
  }).length;
  const one = detected.filter((o) => o.faceCount === 1).length;
  const multi = detected.filter((o) => (o.faceCount ?? 0) > 1);
  const none = detected.filter((o) => o.faceCount === 0).length;
  const share = detected.length ? (one + bridged) / detected.length : 0;
  const passed = share >= ONE_FACE_MIN_SHARE && multi.length <= MULTI_FACE_MAX_FRAMES;
  let message = 'One face is visible throughout.';
  if (multi.length > MULTI_FACE_MAX_FRAMES) {
    message = `More than one face appears in the recording (at ${multi[0]!.t.toFixed(1)} s); record alone.`;
  } else if (!passed) {
    message = 'We could not see your face for much of the recording; keep your face in the frame.';
  }
  return {
    name: 'one-face',
    passed,
    decisive: true,
    score: share,
    threshold: ONE_FACE_MIN_SHARE,
    message,
    details: {
      detectionFrames: detected.length,
      oneFace: one,
      noFace: none,
      bridgedMisses: bridged,
      multiFace: multi.length,
    },
  };
}

export function sameIdentityCheck(obs: FrameObservation[]): CheckResult {
  const described = obs.filter((o) => o.descriptor && o.descriptor.length === 128);
  if (described.length < 3) {
    return {
      name: 'same-identity',
      passed: false,
      decisive: true,
      score: Number.POSITIVE_INFINITY,
      threshold: SAME_RECORDING_MAX_DISTANCE,
      message: 'We could not see your face clearly enough to recognise it.',
      details: { describedFrames: described.length },
    };
  }
  // Every pair, not just distance to the median: with half the frames of one person and half of
  // another the median sits between them and each half looks close to it.
  const ref = medianDescriptor(described.map((o) => o.descriptor!));
  const toMedian = described.map((o) => faceDistance(o.descriptor!, ref));
  let worst = 0;
  let pair: [number, number] = [0, 0];
  for (let i = 0; i < described.length; i++) {
    for (let j = i + 1; j < described.length; j++) {
      const d = faceDistance(described[i]!.descriptor!, described[j]!.descriptor!);
      if (d > worst) [worst, pair] = [d, [described[i]!.t, described[j]!.t]];
    }
  }
  const passed = worst <= SAME_RECORDING_MAX_DISTANCE;
  return {
    name: 'same-identity',
    passed,
    decisive: true,
    score: worst,
    threshold: SAME_RECORDING_MAX_DISTANCE,
    message: passed
      ? 'The same face is seen throughout.'
      : `Two different faces appear in the recording (compare ${pair[0].toFixed(1)} s and ${pair[1].toFixed(1)} s).`,
    details: { describedFrames: described.length, maxToMedian: Math.max(...toMedian), worstPairSec: pair },
  };
}
