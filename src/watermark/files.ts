/**
 * The watermark on whole files, decoding and encoding with ffmpeg and sharp: image-file.ts marks
 * stills, video-file.ts clips and sound alone (video-quality-guard.ts keeps their frames within
 * the SSIM bar), detect-file.ts reads any of them back; file-io.ts holds what they share.
 */
export { embedImageFile, IMAGE_EMBED, IMAGE_MIN_PSNR_DB, IMAGE_MIN_SSIM } from './image-file';
export { embedVideoFile, MAX_MARK_SECONDS } from './video-file';
export { createQualityGuard, VIDEO_MIN_SSIM } from './video-quality-guard';
export { detectFile, type DetectFileOptions } from './detect-file';
