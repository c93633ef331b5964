import {
  dHash,
  fingerprintSimilarity,
  REUPLOAD_SIMILARITY,
  type Fingerprint,
} from '../../../src/consent/analysis/fingerprint';
import { speechSegments, overlapSeconds, VAD_WINDOW_SEC } from '../../../src/consent/analysis/vad';
import { borderRect } from '../../../src/consent/analysis/decode';

function gradient(w: number, h: number, phase: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      out.fill(
        Math.round(127 + 120 * Math.sin(x / 9 + phase) * Math.cos(y / 13)),
        (y * w + x) * 3,
        (y * w + x) * 3 + 3,
      );
  return out;
}

describe('perceptual fingerprint', () => {
  it('hashes a frame to 64 bits and is stable under rescaling', () => {
    const a = dHash(gradient(90, 80, 0), 90, 80);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    // The same picture at another size hashes (nearly) the same.
    const big = dHash(
      gradient(180, 160, 0).filter(() => true),
      180,
      160,
    );
    expect(big).toHaveLength(16);
  });

  const base: Fingerprint = {
    version: 1,
    frameHashes: Array.from({ length: 20 }, (_, i) => dHash(gradient(64, 64, i * 0.7), 64, 64)),
    audioEnergy: Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.3) - 2),
  };

  it('scores a copy 1 and a trimmed copy above the re-upload threshold', () => {
    expect(fingerprintSimilarity(base, base)).toBeCloseTo(1, 5);
    const trimmed: Fingerprint = {
      version: 1,
      frameHashes: base.frameHashes.slice(4),
      audioEnergy: base.audioEnergy.slice(8),
    };
    expect(fingerprintSimilarity(base, trimmed)).toBeGreaterThanOrEqual(REUPLOAD_SIMILARITY);
  });

  it('scores a different recording well below the threshold', () => {
    const other: Fingerprint = {
      version: 1,
      frameHashes: Array.from({ length: 20 }, (_, i) =>
        dHash(gradient(64, 64, 100 + i * 1.9).reverse(), 64, 64),
      ),
      audioEnergy: Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.4) - 2),
    };
    expect(fingerprintSimilarity(base, other)).toBeLessThan(REUPLOAD_SIMILARITY - 0.1);
  });

  it('lowers the score of the same pictures with a different soundtrack', () => {
    const redubbed: Fingerprint = {
      ...base,
      audioEnergy: base.audioEnergy.map((_, i) => Math.cos(i * 0.37) - 2),
    };
    expect(fingerprintSimilarity(base, redubbed)).toBeLessThan(fingerprintSimilarity(base, base));
  });
});

describe('face-square hashes (crop and re-framing tolerance)', () => {
  const faces = Array.from({ length: 20 }, (_, i) => dHash(gradient(64, 64, i * 0.7 + 0.3), 64, 64));
  const audio = Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.3) - 2);
  const original: Fingerprint = {
    version: 1,
    frameHashes: base().frameHashes,
    faceHashes: faces,
    audioEnergy: audio,
  };
  function base(): Fingerprint {
    return {
      version: 1,
      frameHashes: Array.from({ length: 20 }, (_, i) => dHash(gradient(64, 64, i * 0.7), 64, 64)),
      audioEnergy: audio,
    };
  }
  // A cropped or re-framed copy: other whole frames, the same face squares and soundtrack.
  const reframed = (audioEnergy: number[]): Fingerprint => ({
    version: 1,
    frameHashes: Array.from({ length: 20 }, (_, i) =>
      dHash(gradient(64, 64, 50 + i * 1.9).reverse(), 64, 64),
    ),
    faceHashes: faces.map((h, i) => (i % 5 === 4 ? '' : h)),
    audioEnergy,
  });

  it('recognises a copy whose whole frames changed by its face squares and soundtrack', () => {
    const copy = reframed(audio);
    expect(fingerprintSimilarity(original, { ...copy, faceHashes: undefined })).toBeLessThan(
      REUPLOAD_SIMILARITY,
    );
    expect(fingerprintSimilarity(original, copy)).toBeGreaterThanOrEqual(REUPLOAD_SIMILARITY);
  });

  it('does not match the same face with other words: the face path needs the soundtrack', () => {
    const otherTake = reframed(audio.map((_, i) => Math.cos(i * 0.37) - 2));
    expect(fingerprintSimilarity(original, otherTake)).toBeLessThan(REUPLOAD_SIMILARITY - 0.2);
  });
});

describe('letterbox / pillarbox detection before hashing', () => {
  const W = 64;
  const H = 48;
  /** A moving textured picture inside bars of `bar` luma: rows [top, H-top) and columns [left, W-left). */
  function boxed(top: number, left: number, bar: number, n = 4): Uint8Array[] {
    return Array.from({ length: n }, (_, f) => {
      const g = new Uint8Array(W * H).fill(bar);
      for (let y = top; y < H - top; y++)
        for (let x = left; x < W - left; x++)
          g[y * W + x] = Math.round(127 + 100 * Math.sin(x / 3 + f) * Math.cos(y / 5 - f));
      return g;
    });
  }

  it('finds black letterbox bars and white pillarbox bars', () => {
    expect(borderRect(boxed(8, 0, 0), W, H)).toEqual({ x0: 0, y0: 8, x1: W, y1: H - 8 });
    expect(borderRect(boxed(0, 10, 255), W, H)).toEqual({ x0: 10, y0: 0, x1: W - 10, y1: H });
  });

  it('leaves a picture without bars alone', () => {
    expect(borderRect(boxed(0, 0, 0), W, H)).toBeUndefined();
  });

  it('does not take a dark picture edge that changes over time for a bar', () => {
    const frames = boxed(0, 0, 0).map((g, f) => {
      for (let y = 0; y < 6; y++) g.fill(f * 20, y * W, (y + 1) * W);
      return g;
    });
    expect(borderRect(frames, W, H)).toBeUndefined();
  });
});

describe('speech segments from VAD probabilities', () => {
  it('opens at 0.5, bridges short dips, and drops blips under 250 ms', () => {
    const n = Math.round(4 / VAD_WINDOW_SEC);
    const p = new Float32Array(n);
    const sec = (s: number) => Math.round(s / VAD_WINDOW_SEC);
    p.fill(0.9, sec(1), sec(2.5));
    p.fill(0.4, sec(1.6), sec(1.65)); // hysteresis: still speech
    p.fill(0.8, sec(3.2), sec(3.3)); // 100 ms blip
    const segs = speechSegments(p);
    expect(segs).toHaveLength(1);
    expect(segs[0]!.startSec).toBeCloseTo(1, 1);
    expect(segs[0]!.endSec).toBeCloseTo(2.5, 1);
    expect(overlapSeconds(segs, 2, 4)).toBeCloseTo(0.5, 1);
  });
});
