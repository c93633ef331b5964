/**
 * The picture mark (see luma-tile.ts for the design). Its parts: luma-tile.ts (the keyed tile and
 * chip sizes), luma-embed.ts (strength per block under the PSNR and SSIM budgets),
 * luma-accumulator.ts (frames summed for one reading), luma-residual.ts (the detector's
 * whitened high-pass), luma-acf.ts (scale and rotation from the tile lattice), luma-fold.ts
 * (folding modulo the tile and the sync correlation) and luma-detect.ts (the search, readings,
 * payload and p-value).
 */
export { chipFor, MIN_SIDE, videoChipFor } from './luma-tile';
export {
  createLumaEmbedder,
  DEFAULT_STRENGTH,
  defaultStrengthFor,
  embedLuma,
  type LumaEmbedder,
  type LumaEmbedOptions,
} from './luma-embed';
export { LumaAccumulator } from './luma-accumulator';
export { residual } from './luma-residual';
export {
  confirmLuma,
  detectLuma,
  P_THRESHOLD,
  type LumaDetection,
  type LumaDetectOptions,
} from './luma-detect';
