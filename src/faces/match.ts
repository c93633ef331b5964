/**
 * Identity thresholds for face-api's 128-d descriptors (euclidean distance).
 *
 * Measured on the shared fixtures: photographs of the same person sit 0.34-0.47 apart, different
 * people 0.70-1.00. face-api's own default is 0.6 (tuned on LFW). We take 0.55: it keeps a margin
 * of ~0.08 above the worst genuine pair we measured (pose and lighting push genuine pairs up, so
 * the margin matters on that side) and ~0.15 below the closest impostor. Callers deciding something
 * severe on a single comparison (blocking a real person) should use the stricter SAME_PERSON_STRICT.
 */
export const SAME_PERSON_MAX_DISTANCE = 0.55;
/** For "this is certainly the same person" (e.g. flag a face already enrolled by another account). */
export const SAME_PERSON_STRICT = 0.5;
/** Above this two faces are confidently different people (the fixture impostors start at 0.70). */
export const DIFFERENT_PERSON_MIN_DISTANCE = 0.65;

export function faceDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`descriptor length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function isSamePerson(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  maxDistance = SAME_PERSON_MAX_DISTANCE,
): boolean {
  return faceDistance(a, b) <= maxDistance;
}

/** Element-wise mean of descriptors (the enrollment face template). */
export function meanDescriptor(ds: ArrayLike<number>[]): Float32Array {
  if (ds.length === 0) throw new Error('no descriptors to average');
  const out = new Float32Array(ds[0]!.length);
  for (const d of ds) for (let i = 0; i < out.length; i++) out[i]! += d[i]! / ds.length;
  return out;
}

/** Element-wise median: robust to a few badly aligned frames, used as the identity reference. */
export function medianDescriptor(ds: ArrayLike<number>[]): Float32Array {
  if (ds.length === 0) throw new Error('no descriptors');
  const n = ds[0]!.length;
  const out = new Float32Array(n);
  const col = new Array<number>(ds.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < ds.length; j++) col[j] = ds[j]![i]!;
    col.sort((x, y) => x - y);
    const m = col.length >> 1;
    out[i] = col.length % 2 ? col[m]! : (col[m - 1]! + col[m]!) / 2;
  }
  return out;
}
