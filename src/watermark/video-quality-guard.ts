import { createLumaEmbedder, defaultStrengthFor } from './luma';
import { ssim } from './quality';

/** SSIM a sampled frame of a marked video must keep; below it the frame is marked again, weaker. */
export const VIDEO_MIN_SSIM = 0.9905;
const VIDEO_SSIM_AIM = 0.991;
const QUALITY_SAMPLE_SEC = 5;

/**
 * Marks a clip's frames and measures one frame every few seconds (SSIM costs about 150 ms at 720p,
 * too much for every frame). The embedder's SSIM bound is an estimate; a sampled frame that misses
 * the floor is re-marked from its original at a lower strength, which then carries on, and a later
 * sample with room to spare restores it towards the default.
 */
export function createQualityGuard(
  payloadHex: string,
  key: Buffer,
  w: number,
  h: number,
  fps: number,
  base = defaultStrengthFor(w, h),
) {
  let scale = 1;
  let embedder = createLumaEmbedder(payloadHex, key, { strength: base, video: true });
  let lowest = 1;
  const every = Math.max(1, Math.round(QUALITY_SAMPLE_SEC * (fps > 0 ? fps : 30)));
  const rescale = (s: number) => {
    scale = Math.min(1, s);
    embedder = createLumaEmbedder(payloadHex, key, { strength: base * scale, video: true });
  };
  return {
    embed(y: Uint8Array, index: number): number {
      if (index % every !== 0) return embedder.embed(y, w, h);
      const original = Uint8Array.from(y);
      let mse = embedder.embed(y, w, h);
      let s = ssim(original, y, w, h);
      if (s >= VIDEO_MIN_SSIM) {
        if (scale < 1) rescale((scale * (1 - VIDEO_SSIM_AIM)) / (1 - s));
      } else
        for (let tries = 0; s < VIDEO_MIN_SSIM && tries < 8; tries++) {
          // The loss is not quite proportional to the strength (the amplitude curve's knee moves).
          rescale((0.95 * scale * (1 - VIDEO_SSIM_AIM)) / (1 - s));
          y.set(original);
          mse = embedder.embed(y, w, h);
          s = ssim(original, y, w, h);
        }
      lowest = Math.min(lowest, s);
      return mse;
    },
    /** The lowest SSIM among the sampled frames, as marked. */
    ssimMin: () => lowest,
    /** The strength now in use, as a share of the base. */
    scale: () => scale,
  };
}
