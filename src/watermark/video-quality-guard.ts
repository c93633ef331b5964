import { createLumaEmbedder, defaultStrengthFor } from './luma';
import { ssim } from './quality';

/** SSIM a sampled frame of a marked video must keep; below it the frame is marked again, weaker. */
export const VIDEO_MIN_SSIM = 0.9905;
const VIDEO_SSIM_AIM = 0.991;
/** A sampled frame at or above this SSIM, its strength what bounds the mark, is marked again, stronger. */
const RAISE_FROM = VIDEO_SSIM_AIM + 0.0004;
const QUALITY_SAMPLE_SEC = 5;
/**
 * How far above its default strength the guard may take a clip's frames. The embedder's SSIM
 * estimate runs high on many pictures: on talking-a (512x512) the default strength cost a measured
 * 0.006, not its 0.007, and the mark stopped at PSNR 43.1 dB; on the built-in model's 720p clips
 * the default cost 0.004-0.005 (PSNR 45.3-46.8 dB). Spending that room took the payload capacity of
 * talking-a's halved + CRF 35 copies from 28-45 to 53-89 bits (four payloads), and two 720p renders
 * halved + CRF 35 from sync z 7.3 and 2.3-2.5 to 10.7 and 8.4-8.5 (docs/watermark-measurements.md,
 * stop 35). Until then frames of 540 px and more were never raised, to leave room for the SSIM that
 * the delivery encode costs smooth generated clips; the bar is read on the mark, as for every other
 * clip, and one of those renders already fell under 0.99 delivered at the default.
 */
export const MAX_RAISE = 4;
const RAISE_TRIES = 4;
const LOWER_TRIES = 8;

/**
 * Marks a clip's frames and measures one frame every few seconds (SSIM costs about 150 ms at 720p,
 * too much for every frame). The embedder's SSIM bound is an estimate, so the guard calibrates it
 * on the frames it measures: a sampled frame that misses the floor is re-marked from its original
 * at a lower strength, and a frame with room to spare, where the strength is what bounds the mark,
 * is re-marked at a higher one (up to MAX_RAISE times the default). The strength
 * then carries on to the frames after it, until the next sample.
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
    scale = Math.min(MAX_RAISE, s);
    embedder = createLumaEmbedder(payloadHex, key, { strength: base * scale, video: true });
  };
  // The estimate is at most the strength; near it, the SSIM budget (not squared change or the
  // caps near black and white) is what holds the mark back.
  const strengthBinds = () => embedder.estimatedSsimLoss() >= 0.9 * base * scale;
  return {
    embed(y: Uint8Array, index: number): number {
      if (index % every !== 0) return embedder.embed(y, w, h);
      const original = Uint8Array.from(y);
      let mse = embedder.embed(y, w, h);
      let s = ssim(original, y, w, h);
      for (let tries = 0; s < VIDEO_MIN_SSIM && tries < LOWER_TRIES; tries++) {
        // Scaled from the loss the estimate spent, not from the strength: where squared change bound
        // the mark, a lower strength would change nothing until it fell below that.
        const spent = embedder.estimatedSsimLoss();
        if (!(spent > 0)) break;
        rescale((0.95 * spent * (1 - VIDEO_SSIM_AIM)) / (1 - s) / base);
        y.set(original);
        mse = embedder.embed(y, w, h);
        s = ssim(original, y, w, h);
      }
      for (
        let tries = 0;
        tries < RAISE_TRIES && s >= RAISE_FROM && scale < MAX_RAISE && strengthBinds();
        tries++
      ) {
        const previous = scale;
        rescale((scale * (1 - VIDEO_SSIM_AIM)) / (1 - s));
        const trial = Uint8Array.from(original);
        const m = embedder.embed(trial, w, h);
        const t = ssim(original, trial, w, h);
        if (t < VIDEO_MIN_SSIM) {
          rescale(previous);
          break;
        }
        y.set(trial);
        mse = m;
        s = t;
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
