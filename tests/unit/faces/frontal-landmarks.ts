import type { Point } from '../../../src/faces/types';

/** 68 landmarks face-api found on a frontal frame of selfie/talking-a.mp4 (t = 3 s), rounded. */
export const FRONTAL: Point[] = [
  [126.7, 247.2],
  [130.6, 279.8],
  [138.2, 312.2],
  [146, 339.7],
  [156.5, 368.5],
  [172, 389.6],
  [189.5, 404.8],
  [213.7, 419.2],
  [248.9, 427.1],
  [283.2, 416.2],
  [304, 402],
  [320.1, 388.5],
  [334.9, 365.9],
  [346.8, 336.7],
  [353.8, 309],
  [360.2, 279.4],
  [363.3, 246.8],
  [144.4, 202.4],
  [157.3, 183.6],
  [175.5, 176.9],
  [193.7, 178.1],
  [209.7, 183.4],
  [278.2, 182.4],
  [293.9, 177.1],
  [312.2, 175.2],
  [331.5, 180.7],
  [344.3, 199.7],
  [244.4, 233],
  [243.8, 256.4],
  [243.2, 277.7],
  [243.2, 297.8],
  [225.6, 317.9],
  [234.2, 320.1],
  [244.1, 321.5],
  [254.6, 319.1],
  [263.4, 317.9],
  [168.3, 232.4],
  [178.6, 225.1],
  [195.1, 226],
  [210.5, 234.5],
  [197.4, 240.4],
  [180.1, 239.4],
  [278.6, 234.1],
  [293.1, 223.8],
  [309.8, 223.3],
  [321.2, 232.6],
  [309.3, 239],
  [291.8, 237.6],
  [208.5, 368.8],
  [221.1, 357.1],
  [234.8, 349.2],
  [244, 350.7],
  [252.2, 347.7],
  [268.8, 358.1],
  [281.8, 369.3],
  [271.4, 381.8],
  [259.3, 389.5],
  [245.2, 391.5],
  [232.5, 389.2],
  [219.4, 382.7],
  [211.2, 369],
  [233.5, 362],
  [244.8, 361.1],
  [255.5, 362.1],
  [277.9, 368.8],
  [256.9, 373.6],
  [245.5, 375.2],
  [233.5, 374.4],
];

/**
 * Rough depth (pixels, towards the camera) of each landmark for a face this size: the jaw line
 * recedes towards the ears, the nose tip protrudes. Enough to project a 3D head turn.
 */
export function depth(i: number): number {
  if (i <= 16) return -70 * (Math.abs(i - 8) / 8);
  if (i >= 27 && i <= 30) return 10 + (i - 27) * 12;
  if (i >= 31 && i <= 35) return 25;
  if (i >= 36 && i <= 47) return -5;
  if (i >= 17 && i <= 26) return 0;
  return 10;
}

/** The frontal face rotated by `yawDeg` about a vertical axis through its centre (positive: nose to image right), orthographic. */
export function turned(yawDeg: number, pitchDeg = 0): Point[] {
  const cx = 245;
  const cy = 300;
  const a = (yawDeg * Math.PI) / 180;
  const b = (pitchDeg * Math.PI) / 180;
  return FRONTAL.map(([x, y], i) => {
    const z = depth(i);
    const x1 = (x - cx) * Math.cos(a) + z * Math.sin(a);
    const z1 = -(x - cx) * Math.sin(a) + z * Math.cos(a);
    const y1 = (y - cy) * Math.cos(b) - z1 * Math.sin(b);
    return [cx + x1, cy + y1] as Point;
  });
}

/** A flat-photo warp: perspective (homography) applied to the frontal landmarks. */
export function homographyWarp(h: number[]): Point[] {
  return FRONTAL.map(([x, y]) => {
    const w = h[6]! * x + h[7]! * y + h[8]!;
    return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w] as Point;
  });
}
