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
  audioEnergy: z.array(z.number()),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

/** Re-upload when fingerprintSimilarity >= this (a re-encode of the same file scores > 0.95, different recordings of one person < 0.8 in the bench). */
export const REUPLOAD_SIMILARITY = 0.9;

/** dHash: 9x8 grayscale thumbnail (area average), one bit per horizontal neighbour comparison. */
export function dHash(rgb: Uint8Array, width: number, height: number): string {
  const cols = 9;
  const rows = 8;
  const cells = new Float64Array(cols * rows);
  const counts = new Float64Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const cy = Math.min(rows - 1, Math.floor((y * rows) / height));
    for (let x = 0; x < width; x++) {
      const cx = Math.min(cols - 1, Math.floor((x * cols) / width));
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

export function computeFingerprint(video: DecodedFrames, pcm: Float32Array): Fingerprint {
  const step = Math.max(1, Math.round(video.fps / FP_FPS));
  const frameHashes: string[] = [];
  for (let i = 0; i < video.frames.length; i += step)
    frameHashes.push(dHash(video.frames[i]!, video.width, video.height));
  const win = Math.round(AUDIO_RATE * FP_AUDIO_WINDOW_SEC);
  const audioEnergy: number[] = [];
  for (let o = 0; o + win <= pcm.length; o += win) {
    let s = 0;
    for (let i = o; i < o + win; i++) s += pcm[i]! * pcm[i]!;
    audioEnergy.push(Math.round(Math.log10(Math.sqrt(s / win) + 1e-5) * 1000) / 1000);
  }
  return { version: 1, frameHashes, audioEnergy };
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
 * 0..1: how likely `b` is a copy (possibly re-encoded, rescaled or trimmed) of `a`. Slides the
 * shorter frame-hash sequence along the longer one (trims), scores mean bit agreement, and
 * requires the audio energy envelopes at the same offset to agree too: a recording of the same
 * still scene with new speech is not a copy.
 */
export function fingerprintSimilarity(a: Fingerprint, b: Fingerprint): number {
  const [s, l] = a.frameHashes.length <= b.frameHashes.length ? [a, b] : [b, a];
  if (s.frameHashes.length === 0) return 0;
  const minOverlap = Math.max(2, Math.ceil(s.frameHashes.length * 0.5));
  let best = 0;
  for (let off = -(s.frameHashes.length - minOverlap); off <= l.frameHashes.length - minOverlap; off++) {
    let agree = 0;
    let n = 0;
    for (let i = 0; i < s.frameHashes.length; i++) {
      const j = i + off;
      if (j < 0 || j >= l.frameHashes.length) continue;
      agree += 1 - hamming64(s.frameHashes[i]!, l.frameHashes[j]!) / 64;
      n++;
    }
    if (n < minOverlap) continue;
    const video = agree / n;
    if (video <= best) continue;
    // Audio windows per frame hash: FP_FPS hashes a second, 1/FP_AUDIO_WINDOW_SEC windows a second.
    const k = Math.round(1 / FP_AUDIO_WINDOW_SEC / FP_FPS);
    const sa: number[] = [];
    const la: number[] = [];
    for (let i = 0; i < s.audioEnergy.length; i++) {
      const j = i + off * k;
      if (j < 0 || j >= l.audioEnergy.length) continue;
      sa.push(s.audioEnergy[i]!);
      la.push(l.audioEnergy[j]!);
    }
    const audio = sa.length >= 8 ? Math.max(0, pearson(sa, la)) : 1;
    // The audio agreement scales the video score down only when the soundtracks clearly differ.
    const score = video * (0.75 + 0.25 * audio);
    if (score > best) best = score;
  }
  return best;
}
