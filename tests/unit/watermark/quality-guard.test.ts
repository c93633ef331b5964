import { createQualityGuard, VIDEO_MIN_SSIM } from '../../../src/watermark/files';
import { MAX_RAISE } from '../../../src/watermark/video-quality-guard';
import { createLumaEmbedder } from '../../../src/watermark/luma';
import { ssim } from '../../../src/watermark/quality';

const key = Buffer.alloc(32, 0x5a);
const payload = 'a1b2c3d4e5f60718';

/** A smooth picture (a gradient with faint grain): SSIM, not squared change, limits the mark there. */
function smoothFrame(w: number, h: number, seed: number): { y: Uint8Array } {
  const y = new Uint8Array(w * h);
  let s = seed;
  for (let i = 0; i < y.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    y[i] = Math.round(60 + (i % w) / 8 + Math.floor(i / w) / 10 + ((s >>> 16) % 5) - 2);
  }
  return { y };
}

/** Coarse grain of large spread (about 40 levels rms). */
function grainFrame(w: number, h: number, seed: number): { y: Uint8Array } {
  const y = new Uint8Array(w * h);
  let s = seed;
  for (let i = 0; i < y.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    y[i] = 60 + ((s >>> 16) % 136);
  }
  return { y };
}

/** A guard for w x h frames that has marked `frame` as the clip's first (a sampled one). */
function guardedFirstFrame(w: number, h: number, frame: { y: Uint8Array }) {
  const guard = createQualityGuard(payload, key, w, h, 30);
  guard.embed(Uint8Array.from(frame.y), 0);
  return guard;
}

describe('the video quality guard', () => {
  it('re-marks a sampled frame that misses the SSIM floor, and carries the lower strength to the frames after it', () => {
    // A base strength four times the default stands in for a picture the SSIM estimate misjudges.
    const guard = createQualityGuard(payload, key, 640, 480, 30, 0.03);
    const first = smoothFrame(640, 480, 1);
    const y = Uint8Array.from(first.y);
    guard.embed(y, 0);
    expect(ssim(first.y, y, 640, 480)).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(guard.ssimMin()).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(guard.scale()).toBeLessThan(1);

    const next = smoothFrame(640, 480, 2);
    const z = Uint8Array.from(next.y);
    guard.embed(z, 1);
    expect(ssim(next.y, z, 640, 480)).toBeGreaterThan(0.99);
  });

  it('spends the SSIM room a small frame has left: the strength goes up and the frame keeps the floor', () => {
    const guard = createQualityGuard(payload, key, 640, 480, 30);
    const f = smoothFrame(640, 480, 3);
    const atDefault = Uint8Array.from(f.y);
    createLumaEmbedder(payload, key, { video: true }).embed(atDefault, 640, 480);
    const y = Uint8Array.from(f.y);
    guard.embed(y, 0);
    expect(guard.scale()).toBeGreaterThan(1);
    expect(guard.scale()).toBeLessThanOrEqual(MAX_RAISE);
    const s = ssim(f.y, y, 640, 480);
    expect(s).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(s).toBeLessThan(ssim(f.y, atDefault, 640, 480));
    expect(guard.ssimMin()).toBe(s);
  });

  it('spends the room on a large frame too, and keeps its floor', () => {
    const f = smoothFrame(960, 540, 4);
    const y = Uint8Array.from(f.y);
    const guard = createQualityGuard(payload, key, 960, 540, 30);
    guard.embed(y, 0);
    expect(guard.scale()).toBeGreaterThan(1);
    expect(ssim(f.y, y, 960, 540)).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(guard.ssimMin()).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
  });

  it('does not raise the strength where squared change, not SSIM, bounds the mark', () => {
    // Grain this strong hides the mark from SSIM: the squared-change bound is reached first.
    const guard = guardedFirstFrame(640, 480, grainFrame(640, 480, 5));
    expect(guard.ssimMin()).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(guard.scale()).toBe(1);
  });
});
