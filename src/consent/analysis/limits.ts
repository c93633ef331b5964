/** Enrollment recording limits (issue 5): about 10 s asked for, 30 s and 50 MB accepted at most. */
export const MAX_RECORDING_BYTES = 50 * 1024 * 1024;
export const MAX_RECORDING_SECONDS = 30;
/** Shorter than this cannot hold a challenge (turns + blink + code). */
export const MIN_RECORDING_SECONDS = 3;
/** Frames sampled per second for landmarks: 8 catches a 150-300 ms blink in at least one frame. */
export const SAMPLE_FPS = 8;
/** Long side of the analysed frames. */
export const ANALYSIS_MAX_SIDE = 512;
/** Full-frame face detection (for counting faces) every this many sampled frames; tracked in between. */
export const DETECT_EVERY = 4;
/** Identity descriptors every this many sampled frames. */
export const DESCRIBE_EVERY = 8;
export const AUDIO_RATE = 16000;
/** Gray frames per second for the blink check (pixels only, no network). */
export const BLINK_FPS = 24;
