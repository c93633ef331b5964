/**
 * Invisible watermark for video frames, still images and audio (issue 4). Others call the file
 * helpers and the CLI registration; the frame/audio functions are for tests, bench and pipelines
 * that already hold decoded media.
 */
export type { WatermarkDetection, WatermarkTransform } from './types';
export type { DetectFileOptions } from './files';
export { embedImageFile, embedVideoFile, detectFile } from './files';
export { registerWatermarkCommands } from './cli';
export {
  createLumaEmbedder,
  embedLuma,
  detectLuma,
  LumaAccumulator,
  P_THRESHOLD,
  MIN_SIDE,
  DEFAULT_STRENGTH,
  defaultStrengthFor,
} from './luma';
export type { LumaDetection, LumaEmbedOptions, LumaEmbedder } from './luma';
export { embedAudio, detectAudio, segmentalSnr, AUDIO_P_THRESHOLD, SEG_SNR_DB } from './audio';
export type { AudioDetection, AudioEmbedOptions } from './audio';
export { decideByIssued, issuedPValue, ISSUED_P_THRESHOLD } from './issued';
export type { IssuedCandidate, IssuedLookup } from './issued';
export { ISSUED_SCAN_LIMIT, MATCH_P_THRESHOLD } from './issued-match';
export type { IssuedScan } from './issued-match';
