import { z } from 'zod';
import type { DecodedFrames } from './decode';
import { AUDIO_RATE } from './limits';

/**
 * Perceptual fingerprint of a recording, to catch re-uploads that a byte hash misses (re-encoded,
 * rescaled, trimmed). Video: a 64-bit difference hash (dHash) of each frame at FP_FPS, as 16 hex
 * chars. Audio: log RMS energy in consecutive 250 ms windows. Both survive re-encoding and scaling;
 * neither survives mirroring or heavy cropping (the face checks and the identity lookup cover those).
 */
export const FP_FPS = 2;
export const FP_AUDIO_WINDOW_SEC = 0.25;

export const fingerprintSchema = z.object({
  version: z.literal(1),
  frameHashes: z.array(z.string().regex(/^[0-9a-f]{16}$/)),
  /**
   * dHash of a square around the face in the same frames ('' where no face was tracked): survives
   * crops, bars, fills and re-framing, which change the whole frame. Absent in fingerprints made
   * before it existed and in fingerprintRecording's (no face tracking there).
   */
  faceHashes: z.array(z.string().regex(/^([0-9a-f]{16})?$/)).optional(),
  audioEnergy: z.array(z.number()),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

/** Re-upload when fingerprintSimilarity >= this (a re-encode of the same file scores > 0.95, different recordings of one person < 0.8 in the bench). */
export const REUPLOAD_SIMILARITY = 0.9;

/** A region of a frame in pixels. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * dHash: 9x8 grayscale thumbnail (area average) of the frame or of `region` in it, one bit per
 * horizontal neighbour comparison.
 */
export function dHash(rgb: Uint8Array, width: number, height: number, region?: Region): string {
  const cols = 9;
  const rows = 8;
  const rx = Math.max(0, Math.round(region?.x ?? 0));
  const ry = Math.max(0, Math.round(region?.y ?? 0));
  const rw = Math.max(1, Math.min(width - rx, Math.round(region?.width ?? width)));
  const rh = Math.max(1, Math.min(height - ry, Math.round(region?.height ?? height)));
  const cells = new Float64Array(cols * rows);
  const counts = new Float64Array(cols * rows);
  for (let yy = 0; yy < rh; yy++) {
    const y = ry + yy;
    const cy = Math.min(rows - 1, Math.floor((yy * rows) / rh));
    for (let xx = 0; xx < rw; xx++) {
      const x = rx + xx;
      const cx = Math.min(cols - 1, Math.floor((xx * cols) / rw));
      const o = (y * width + x) * 3;
      cells[cy * cols + cx]! += 0.299 * rgb[o]! + 0.587 * rgb[o + 1]! + 0.114 * rgb[o + 2]!;
      counts[cy * cols + cx]! += 1;
    }
  }
  let hex = '';
  for (let r = 0; r < rows; r++) {
    let byte = 0;
    for (let c = 0; c < 8; c++) {
      const a = cells[r * cols + c]! / counts[r * cols + c]!;
      const b = cells[r * cols + c + 1]! / counts[r * cols + c + 1]!;
      byte = (byte << 1) | (a > b ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** The face square hashed for faceHashes: centred on the face, this many face heights wide. */
export const FACE_REGION_SCALE = 1.0;

/**
 * `faces[i]`: the face's box in frame i (from its landmarks), when tracked; with it the
 * fingerprint also carries faceHashes.
 */
export function computeFingerprint(
  video: DecodedFrames,
  pcm: Float32Array,
  faces?: (Region | undefined)[],
): Fingerprint {
  const step = Math.max(1, Math.round(video.fps / FP_FPS));
  const frameHashes: string[] = [];
  const faceHashes: string[] = [];
  for (let i = 0; i < video.frames.length; i += step) {
    frameHashes.push(dHash(video.frames[i]!, video.width, video.height));
    const f = faces?.[i];
    if (!f) {
      faceHashes.push('');
      continue;
    }
    const side = Math.max(f.width, f.height) * FACE_REGION_SCALE;
    const cx = f.x + f.width / 2;
    const cy = f.y + f.height / 2;
    faceHashes.push(
      dHash(video.frames[i]!, video.width, video.height, {
        x: cx - side / 2,
        y: cy - side / 2,
        width: side,
        height: side,
      }),
    );
  }
  const win = Math.round(AUDIO_RATE * FP_AUDIO_WINDOW_SEC);
  const audioEnergy: number[] = [];
  for (let o = 0; o + win <= pcm.length; o += win) {
    let s = 0;
    for (let i = o; i < o + win; i++) s += pcm[i]! * pcm[i]!;
    audioEnergy.push(Math.round(Math.log10(Math.sqrt(s / win) + 1e-5) * 1000) / 1000);
  }
  return faces
    ? { version: 1, frameHashes, faceHashes, audioEnergy }
    : { version: 1, frameHashes, audioEnergy };
}

function hamming64(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 16; i += 4) {
    let x = parseInt(a.slice(i, i + 4), 16) ^ parseInt(b.slice(i, i + 4), 16);
    while (x) {
      d += x & 1;
      x >>>= 1;
    }
  }
  return d;
}

function pearson(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 3) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/**
 * 0..1: how likely `b` is a copy (possibly re-encoded, rescaled, trimmed, letterboxed, cropped or
 * re-framed) of `a`. Slides the shorter hash sequence along the longer one (trims), scores mean
 * bit agreement, and requires the audio energy envelopes at the same offset to agree too: a
 * recording of the same still scene with new speech is not a copy. Whole frames and, when both
 * carry them, face squares are compared; the better one counts. The face squares of two different
 * recordings of one person can look alike, so that path leans on the soundtrack much harder.
 */
export function fingerprintSimilarity(a: Fingerprint, b: Fingerprint): number {
  const whole = sequenceSimilarity(a.frameHashes, b.frameHashes, a.audioEnergy, b.audioEnergy, 0.25, 0);
  if (!a.faceHashes || !b.faceHashes) return whole;
  // Landmarks placed a little differently on a re-encoded copy move the square at the far end of
  // a turn: the worst quarter of the frames is left out.
  const face = sequenceSimilarity(a.faceHashes, b.faceHashes, a.audioEnergy, b.audioEnergy, 0.6, 0.25);
  return Math.max(whole, face);
}

/**
 * Best score over offsets of hash agreement times (1 - audioWeight + audioWeight * audio
 * correlation). Empty hashes (no face in that frame) are skipped.
 */
function sequenceSimilarity(
  ha: string[],
  hb: string[],
  ea: number[],
  eb: number[],
  audioWeight: number,
  /** Share of the worst-agreeing positions left out of the mean. */
  trim: number,
): number {
  const swap = ha.length > hb.length;
  const [sh, lh] = swap ? [hb, ha] : [ha, hb];
  const [se, le] = swap ? [eb, ea] : [ea, eb];
  if (sh.length === 0) return 0;
  const minOverlap = Math.max(2, Math.ceil(sh.length * 0.5));
  let best = 0;
  for (let off = -(sh.length - minOverlap); off <= lh.length - minOverlap; off++) {
    const agree: number[] = [];
    for (let i = 0; i < sh.length; i++) {
      const j = i + off;
      if (j < 0 || j >= lh.length || !sh[i] || !lh[j]) continue;
      agree.push(1 - hamming64(sh[i]!, lh[j]!) / 64);
    }
    if (agree.length < minOverlap) continue;
    agree.sort((x, y) => y - x);
    const kept = agree.slice(0, Math.max(1, Math.ceil(agree.length * (1 - trim))));
    const video = kept.reduce((x, y) => x + y, 0) / kept.length;
    if (video <= best) continue;
    // Audio windows per frame hash: FP_FPS hashes a second, 1/FP_AUDIO_WINDOW_SEC windows a second.
    const k = Math.round(1 / FP_AUDIO_WINDOW_SEC / FP_FPS);
    const sa: number[] = [];
    const la: number[] = [];
    for (let i = 0; i < se.length; i++) {
      const j = i + off * k;
      if (j < 0 || j >= le.length) continue;
      sa.push(se[i]!);
      la.push(le[j]!);
    }
    const audio = sa.length >= 8 ? Math.max(0, pearson(sa, la)) : 1;
    // The audio agreement scales the video score down only when the soundtracks differ.
    const score = video * (1 - audioWeight + audioWeight * audio);
    if (score > best) best = score;
  }
  return best;
}
