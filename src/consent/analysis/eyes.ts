import type { Point } from '../../faces/types';
import type { GrayFrames } from './decode';
import type { FaceSeries } from './series';

/** Luminance standard deviation in the box around each eye outline (half the eye width tall), both eyes averaged. */
export function grayEyeContrast(
  gray: Uint8Array,
  width: number,
  height: number,
  lm: Point[],
  scale: number,
): number {
  const std = (x0: number, y0: number, x1: number, y1: number) => {
    const xa = Math.max(0, Math.floor(x0));
    const ya = Math.max(0, Math.floor(y0));
    const xb = Math.min(width - 1, Math.ceil(x1));
    const yb = Math.min(height - 1, Math.ceil(y1));
    let s = 0;
    let ss = 0;
    let n = 0;
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const l = gray[y * width + x]!;
        s += l;
        ss += l * l;
        n++;
      }
    }
    return n > 1 ? Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) : 0;
  };
  const eye = (from: number) => {
    const pts = lm.slice(from, from + 6).map(([x, y]) => [x * scale, y * scale] as Point);
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const h = (x1 - x0) * 0.25;
    return std(x0, cy - h, x1, cy + h);
  };
  return (eye(36) + eye(42)) / 2;
}

export interface EyeTrace {
  fps: number;
  t: number[];
  /** NaN where no landmark frame is close enough in time and still enough to place the eye boxes. */
  contrast: number[];
}

/**
 * Eye contrast on every high-rate gray frame, with the eye boxes interpolated between the two
 * landmark frames around it. Frames where the face moves fast between those two (the box could
 * drift off the eye) are left out.
 */
export function eyeTrace(gray: GrayFrames, s: FaceSeries): EyeTrace {
  const t: number[] = [];
  const contrast: number[] = [];
  for (let i = 0; i < gray.frames.length; i++) {
    const ti = i / gray.fps;
    t.push(ti);
    const k0 = Math.floor(ti * s.fps);
    const a = ti * s.fps - k0;
    const l0 = s.landmarks[k0];
    const l1 = s.landmarks[k0 + 1] ?? (a < 1e-6 ? l0 : undefined);
    if (!l0 || !l1) {
      contrast.push(NaN);
      continue;
    }
    const io = Math.hypot(l0[36]![0] - l0[45]![0], l0[36]![1] - l0[45]![1]);
    const drift = Math.hypot(l1[30]![0] - l0[30]![0], l1[30]![1] - l0[30]![1]) / Math.max(1, io);
    if (drift > MAX_DRIFT) {
      contrast.push(NaN);
      continue;
    }
    const lm = l0.map((p, j) => [p[0] + (l1[j]![0] - p[0]) * a, p[1] + (l1[j]![1] - p[1]) * a] as Point);
    contrast.push(grayEyeContrast(gray.frames[i]!, gray.width, gray.height, lm, gray.scale));
  }
  return { fps: gray.fps, t, contrast };
}

/** Nose movement between landmark frames (interocular units) beyond which eye boxes are not trusted. */
export const MAX_DRIFT = 0.25;
