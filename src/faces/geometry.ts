import type { Point } from './types';

/**
 * Pose and expression measures from the 68 landmarks. They are ratios, not calibrated angles:
 * good enough to tell "turned left" from "frontal", and independent of face size.
 */

function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function mid(a: Point, b: Point): Point {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

/** Distance between the outer eye corners: the size unit for every other measure. */
export function interocular(lm: Point[]): number {
  return dist(lm[36]!, lm[45]!);
}

/**
 * Horizontal head turn, -1..1. Positive when the nose tip sits closer to the image's right jaw
 * edge, i.e. the person turned to THEIR left in an unmirrored recording (camera images are
 * unmirrored; only the capture page's preview is mirrored). Frontal faces give about 0;
 * ~0.3 is a clear turn of roughly 20 degrees.
 */
export function yawRatio(lm: Point[]): number {
  const nose = lm[30]!;
  // Jaw points at eye height and cheek height: averaging two pairs steadies the estimate.
  const l = (Math.abs(nose[0] - lm[1]![0]) + Math.abs(nose[0] - lm[2]![0])) / 2;
  const r = (Math.abs(lm[15]![0] - nose[0]) + Math.abs(lm[14]![0] - nose[0])) / 2;
  return (l - r) / Math.max(1e-6, l + r);
}

/**
 * Vertical head tilt proxy: how far the nose tip hangs below the eye line, in interocular units
 * (~0.6-0.8 frontal). Smaller when the head tilts up (the nose foreshortens towards the eyes),
 * larger when it tilts down. Unlike a nose-to-chin ratio it does not move when the jaw opens to
 * speak. Compare against the same person's median in the same recording, not an absolute value.
 */
export function pitchRatio(lm: Point[]): number {
  const eyes = mid(mid(lm[36]!, lm[39]!), mid(lm[42]!, lm[45]!));
  return (lm[30]![1] - eyes[1]) / Math.max(1e-6, interocular(lm));
}

function eyeAspect(lm: Point[], s: number): number {
  const p = (i: number) => lm[s + i]!;
  return (dist(p(1), p(5)) + dist(p(2), p(4))) / Math.max(1e-6, 2 * dist(p(0), p(3)));
}

/** Eye aspect ratio (Soukupová & Čech 2016), mean of both eyes: ~0.3 open, < 0.2 closed. */
export function eyeAspectRatio(lm: Point[]): number {
  return (eyeAspect(lm, 36) + eyeAspect(lm, 42)) / 2;
}

/** Inner-lip gap over interocular distance: ~0 closed, 0.1-0.5 while speaking. */
export function mouthOpening(lm: Point[]): number {
  const gap = (dist(lm[61]!, lm[67]!) + dist(lm[62]!, lm[66]!) + dist(lm[63]!, lm[65]!)) / 3;
  return gap / Math.max(1e-6, interocular(lm));
}

/** Landmarks that move with the skull, not with expressions: nose, eye corners, upper jaw line. */
export const RIGID_POINTS = [0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45];

/** Least-squares 2D homography (DLT, 8 unknowns, h33 = 1) mapping `from` onto `to`. */
export function fitHomography(from: Point[], to: Point[]): number[] | undefined {
  const n = from.length;
  if (n < 4 || to.length !== n) return undefined;
  // Normalise for conditioning: centre and scale both point sets.
  const norm = (ps: Point[]) => {
    let cx = 0;
    let cy = 0;
    for (const [x, y] of ps) {
      cx += x / n;
      cy += y / n;
    }
    let s = 0;
    for (const [x, y] of ps) s += Math.hypot(x - cx, y - cy) / n;
    s = s > 1e-9 ? Math.SQRT2 / s : 1;
    return { cx, cy, s, pts: ps.map(([x, y]) => [(x - cx) * s, (y - cy) * s] as Point) };
  };
  const A = norm(from);
  const B = norm(to);
  const ata = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  const atb = new Array<number>(8).fill(0);
  const addRow = (row: number[], rhs: number) => {
    for (let i = 0; i < 8; i++) {
      atb[i]! += row[i]! * rhs;
      for (let j = 0; j < 8; j++) ata[i]![j]! += row[i]! * row[j]!;
    }
  };
  for (let i = 0; i < n; i++) {
    const [x, y] = A.pts[i]!;
    const [u, v] = B.pts[i]!;
    addRow([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    addRow([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solve(ata, atb);
  if (!h) return undefined;
  return [...h, 1].concat([A.cx, A.cy, A.s, B.cx, B.cy, B.s]);
}

export function applyHomography(h: number[], p: Point): Point {
  const [ax, ay, as, bx, by, bs] = h.slice(9) as [number, number, number, number, number, number];
  const x = (p[0] - ax) * as;
  const y = (p[1] - ay) * as;
  const w = h[6]! * x + h[7]! * y + h[8]!;
  const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
  const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
  return [u / bs + bx, v / bs + by];
}

/** Least-squares 2D affine (6 unknowns) mapping `from` onto `to`, as [a,b,c,d,e,f]: u=ax+by+c, v=dx+ey+f. */
export function fitAffine(from: Point[], to: Point[]): number[] | undefined {
  const ata = Array.from({ length: 3 }, () => new Array<number>(3).fill(0));
  const bu = [0, 0, 0];
  const bv = [0, 0, 0];
  for (let i = 0; i < from.length; i++) {
    const r = [from[i]![0], from[i]![1], 1];
    for (let a = 0; a < 3; a++) {
      bu[a]! += r[a]! * to[i]![0];
      bv[a]! += r[a]! * to[i]![1];
      for (let b = 0; b < 3; b++) ata[a]![b]! += r[a]! * r[b]!;
    }
  }
  const pu = solve(
    ata.map((r) => [...r]),
    bu,
  );
  const pv = solve(
    ata.map((r) => [...r]),
    bv,
  );
  return pu && pv ? [...pu, ...pv] : undefined;
}

/**
 * RMS distance (in interocular units of `to`) left after the best homography maps `from` onto `to`.
 * A flat photograph moved, zoomed, sheared or perspective-warped in front of the camera maps by a
 * homography exactly, so its residual is landmark noise; a real head turning in 3D, or a face
 * changing expression, leaves a residual a homography cannot absorb.
 */
export function planarResidual(from: Point[], to: Point[], idx: number[] = RIGID_POINTS): number {
  const f = idx.map((i) => from[i]!);
  const t = idx.map((i) => to[i]!);
  const h = fitHomography(f, t);
  if (!h) return Number.POSITIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < f.length; i++) {
    const p = applyHomography(h, f[i]!);
    s += (p[0] - t[i]![0]) ** 2 + (p[1] - t[i]![1]) ** 2;
  }
  return Math.sqrt(s / f.length) / Math.max(1e-6, interocular(to));
}

/** RMS residual (interocular units) after the best affine fit of all 68 points: non-rigid frame-to-frame motion. */
export function affineResidual(from: Point[], to: Point[]): number {
  const a = fitAffine(from, to);
  if (!a) return Number.POSITIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < from.length; i++) {
    const [x, y] = from[i]!;
    s += (a[0]! * x + a[1]! * y + a[2]! - to[i]![0]) ** 2 + (a[3]! * x + a[4]! * y + a[5]! - to[i]![1]) ** 2;
  }
  return Math.sqrt(s / from.length) / Math.max(1e-6, interocular(to));
}

/** Gaussian elimination with partial pivoting; undefined when singular. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((r, i) => r[n]! / r[i]!);
}
