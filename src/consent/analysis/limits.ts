/** Enrollment recording limits (issue 5): about 10 s asked for, 30 s and 50 MB accepted at most. */
export const MAX_RECORDING_BYTES = 50 * 1024 * 1024;
export const MAX_RECORDING_SECONDS = 30;
/** Shorter than this cannot hold a challenge (turns + blink + code). */
export const MIN_RECORDING_SECONDS = 3;
/** Frames sampled per second for landmarks: 8 catches a 150-300 ms blink in at least one frame. */
export const SAMPLE_FPS = 8;
/**
 * Long side of the analysed frames when no face was found up front (decode.ts analysisSize).
 * Otherwise the frames are scaled so the face is about FACE_TARGET_PX tall, within
 * [ANALYSIS_MIN_SIDE, ANALYSIS_MAX_SIDE]: every measure then sees the face at the same size, small
 * in a wide 720p frame or filling a square one, and a large face is not analysed at more pixels
 * than the models use (landmarks read 112 px, descriptors 150 px).
 */
export const ANALYSIS_DEFAULT_SIDE = 512;
export const ANALYSIS_MIN_SIDE = 256;
export const ANALYSIS_MAX_SIDE = 640;
export const FACE_TARGET_PX = 176;
/** Full-frame face detection (for counting faces) every this many sampled frames; tracked in between. */
export const DETECT_EVERY = 4;
/** Identity descriptors every this many sampled frames. */
export const DESCRIBE_EVERY = 8;
export const AUDIO_RATE = 16000;
/** Gray frames per second for the blink check (pixels only, no network). */
export const BLINK_FPS = 24;
