import { createQualityGuard, VIDEO_MIN_SSIM } from '../../../src/watermark/files';
import { ssim } from '../../../src/watermark/quality';
import { syntheticFrame } from '../../../bench/watermark/frames';

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

  it('leaves the default strength alone on a frame that keeps the floor', () => {
    const guard = createQualityGuard(payload, key, 640, 480, 30);
    const f = syntheticFrame(640, 480, 3);
    const y = Uint8Array.from(f.y);
    guard.embed(y, 0);
    expect(guard.ssimMin()).toBeGreaterThanOrEqual(VIDEO_MIN_SSIM);
    expect(guard.scale()).toBe(1);
  });
});
