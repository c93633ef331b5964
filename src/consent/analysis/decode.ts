import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Invalid, PayloadTooLarge, UnsupportedMedia } from '../../http/errors';
import { ffprobe, ProbeFailed, type Ffprobe } from '../../media/ffprobe';
import { ffmpegBin, runTool } from '../../media/tools';
import {
  ANALYSIS_DEFAULT_SIDE,
  ANALYSIS_MAX_SIDE,
  ANALYSIS_MIN_SIDE,
  FACE_TARGET_PX,
  AUDIO_RATE,
  MAX_RECORDING_BYTES,
  MAX_RECORDING_SECONDS,
  MIN_RECORDING_SECONDS,
} from './limits';

export interface MediaInfo {
  sizeBytes: number;
  durationSec: number;
  width: number;
  height: number;
  format: string;
}

/** Checks the upload is a short video with sound before any decoding; throws the HTTP-mapped errors. */
export async function probeRecording(path: string): Promise<MediaInfo> {
  let sizeBytes: number;
  try {
    sizeBytes = fs.statSync(path).size;
  } catch {
    throw new Invalid('recording_missing', 'The recording file could not be read.');
  }
  if (sizeBytes > MAX_RECORDING_BYTES) {
    throw new PayloadTooLarge(
      'recording_too_large',
      `The recording is ${(sizeBytes / 1048576).toFixed(1)} MB; at most 50 MB is accepted.`,
      {
        sizeBytes,
        maxBytes: MAX_RECORDING_BYTES,
      },
    );
  }
  let probe: Ffprobe;
  try {
    probe = await ffprobe(path, { timeoutMs: 20000 });
  } catch (e) {
    if (e instanceof ProbeFailed)
      throw new UnsupportedMedia('not_a_video', 'The upload is not a video file we can read.');
    throw e;
  }
  const video = probe.video;
  const format = probe.formatName;
  // Still images (png, jpeg...) probe as a one-frame "video" stream through the image2 demuxer.
  if (!video?.width || !video.height || /image2|png_pipe|jpeg_pipe|webp_pipe|gif/.test(format)) {
    throw new UnsupportedMedia(
      'not_a_video',
      'The upload is not a video: no moving picture was found in it.',
    );
  }
  if (!probe.streams.some((s) => s.codec_type === 'audio')) {
    throw new Invalid(
      'no_audio',
      'The recording has no sound track; the code must be read aloud on the recording.',
    );
  }
  const durationSec = probe.durationSec;
  if (!Number.isFinite(durationSec)) {
    throw new UnsupportedMedia('unknown_duration', 'The length of the recording could not be read.');
  }
  if (durationSec > MAX_RECORDING_SECONDS) {
    throw new Invalid(
      'recording_too_long',
      `The recording lasts ${durationSec.toFixed(1)} s; at most ${MAX_RECORDING_SECONDS} s is accepted.`,
      {
        durationSec,
      },
    );
  }
  if (durationSec < MIN_RECORDING_SECONDS) {
    throw new Invalid(
      'recording_too_short',
      `The recording lasts ${durationSec.toFixed(1)} s; at least ${MIN_RECORDING_SECONDS} s is needed.`,
      {
        durationSec,
      },
    );
  }
  return { sizeBytes, durationSec, width: video.width, height: video.height, format };
}

export interface DecodedFrames {
  fps: number;
  width: number;
  height: number;
  /** One RGB buffer per sampled frame; frame i is at time i / fps. */
  frames: Uint8Array[];
}

/**
 * Size of the analysed frames for a picture of w x h source pixels whose face is `faceHeight`
 * source pixels tall (undefined: not known), see limits.ts. Never larger than the source.
 */
export function analysisSize(w: number, h: number, faceHeight?: number): { width: number; height: number } {
  const long = Math.max(w, h);
  let side = ANALYSIS_DEFAULT_SIDE;
  if (faceHeight && faceHeight > 0) {
    side = Math.min(ANALYSIS_MAX_SIDE, Math.max(ANALYSIS_MIN_SIDE, (long * FACE_TARGET_PX) / faceHeight));
  }
  const s = Math.min(1, side / long);
  const even = (v: number) => Math.max(2, Math.round((v * s) / 2) * 2);
  return { width: even(w), height: even(h) };
}

export async function decodeFrames(
  path: string,
  info: MediaInfo,
  fps: number,
  crop: CropRect = { x: 0, y: 0, width: info.width, height: info.height },
  size: { width: number; height: number } = analysisSize(crop.width, crop.height),
): Promise<DecodedFrames> {
  const { width, height } = size;
  const frameBytes = width * height * 3;
  const maxFrames = Math.ceil((info.durationSec + 1) * fps);
  const { stdout } = await runTool(
    ffmpegBin(),
    [
      '-v',
      'error',
      '-i',
      path,
      '-an',
      '-vf',
      `${cropFilter(crop, info)}fps=${fps},scale=${width}:${height}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { timeoutMs: 60000, maxStdoutBytes: frameBytes * (maxFrames + 2) },
  );
  const frames: Uint8Array[] = [];
  for (let o = 0; o + frameBytes <= stdout.length; o += frameBytes) {
    frames.push(new Uint8Array(stdout.buffer, stdout.byteOffset + o, frameBytes));
  }
  return { fps, width, height, frames };
}

/** Mono 16 kHz float PCM of the whole recording. */
export async function decodeAudio(path: string, info: MediaInfo): Promise<Float32Array> {
  const { stdout } = await runTool(
    ffmpegBin(),
    ['-v', 'error', '-i', path, '-vn', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 'f32le', 'pipe:1'],
    { timeoutMs: 60000, maxStdoutBytes: Math.ceil((info.durationSec + 2) * AUDIO_RATE * 4) },
  );
  const copy = Buffer.from(stdout);
  return new Float32Array(copy.buffer, copy.byteOffset, Math.floor(copy.length / 4));
}

export interface GrayFrames {
  fps: number;
  width: number;
  height: number;
  /** Scale from analysis-frame pixels to these pixels. */
  scale: number;
  frames: Uint8Array[];
}

/** A rectangle of the source picture, in source pixels. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Edge lines whose pixels spread less than this (8-bit luma) and do not change over time are padding. */
const BORDER_FLAT = 6;
/** Frames and size of the picture probe: the first seconds, small. */
const PROBE_SECONDS = 2;
const PROBE_FPS = 3;
const PROBE_SIDE = 320;

export interface PictureProbe {
  /** The picture inside any letterbox / pillarbox bars, in source pixels (the whole frame if none). */
  crop: CropRect;
  /** A few small RGB frames of the first seconds, inside `crop`, for a face-size probe. */
  frames: { width: number; height: number; data: Uint8Array[] };
}

/**
 * The picture inside letterbox / pillarbox bars (black or any flat colour), found on a few small
 * frames from the first two seconds (bars added by re-encoding or a player are the same on every
 * frame). Stripping them first makes the analysis see the face at the same scale as without the
 * bars, and makes the perceptual fingerprint of a padded re-upload equal to the original's.
 */
export async function probePicture(path: string, info: MediaInfo): Promise<PictureProbe> {
  const whole = { x: 0, y: 0, width: info.width, height: info.height };
  const s = Math.min(1, PROBE_SIDE / Math.max(info.width, info.height));
  const w = Math.max(8, Math.round((info.width * s) / 2) * 2);
  const h = Math.max(8, Math.round((info.height * s) / 2) * 2);
  let stdout: Buffer;
  try {
    ({ stdout } = await runTool(
      ffmpegBin(),
      [
        '-v',
        'error',
        '-t',
        String(PROBE_SECONDS),
        '-i',
        path,
        '-an',
        '-vf',
        `fps=${PROBE_FPS},scale=${w}:${h}:flags=area`,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      { timeoutMs: 20000, maxStdoutBytes: w * h * 3 * (PROBE_SECONDS * PROBE_FPS + 4) },
    ));
  } catch {
    return { crop: whole, frames: { width: w, height: h, data: [] } };
  }
  const rgb: Uint8Array[] = [];
  for (let o = 0; o + w * h * 3 <= stdout.length; o += w * h * 3) rgb.push(stdout.subarray(o, o + w * h * 3));
  const gray = rgb.map((f) => {
    const g = new Uint8Array(w * h);
    for (let i = 0; i < g.length; i++)
      g[i] = Math.round(0.299 * f[i * 3]! + 0.587 * f[i * 3 + 1]! + 0.114 * f[i * 3 + 2]!);
    return g;
  });
  const rect = gray.length ? borderRect(gray, w, h) : undefined;
  let crop = whole;
  let box = { x0: 0, y0: 0, x1: w, y1: h };
  if (rect) {
    // Back to source pixels, rounded inwards to even numbers (chroma subsampling), one probe
    // pixel of margin against the blurred edge of the scaled picture.
    const sx = info.width / w;
    const sy = info.height / h;
    const even = (v: number) => Math.max(0, Math.floor(v / 2) * 2);
    const x0 = even(Math.ceil((rect.x0 + (rect.x0 > 0 ? 1 : 0)) * sx));
    const y0 = even(Math.ceil((rect.y0 + (rect.y0 > 0 ? 1 : 0)) * sy));
    const x1 = Math.min(info.width, Math.floor((rect.x1 - (rect.x1 < w ? 1 : 0)) * sx));
    const y1 = Math.min(info.height, Math.floor((rect.y1 - (rect.y1 < h ? 1 : 0)) * sy));
    const c = { x: x0, y: y0, width: even(x1 - x0), height: even(y1 - y0) };
    // Only real bars: at least 2 % of the frame, and at least 40 % of each side left.
    const cut = 1 - (c.width * c.height) / (info.width * info.height);
    if (cut >= 0.02 && c.width >= info.width * 0.4 && c.height >= info.height * 0.4) {
      crop = c;
      box = rect;
    }
  }
  // The probe frames cut to the same picture, for the face-size probe.
  const cw = box.x1 - box.x0;
  const chh = box.y1 - box.y0;
  const data = rgb.map((f) => {
    if (cw === w && chh === h) return f;
    const out = new Uint8Array(cw * chh * 3);
    for (let y = 0; y < chh; y++)
      out.set(f.subarray(((box.y0 + y) * w + box.x0) * 3, ((box.y0 + y) * w + box.x1) * 3), y * cw * 3);
    return out;
  });
  return { crop, frames: { width: cw, height: chh, data } };
}

/** Just the crop of probePicture (fingerprinting needs no face). */
export async function detectBorders(path: string, info: MediaInfo): Promise<CropRect> {
  return (await probePicture(path, info)).crop;
}

/**
 * Pure part of detectBorders, on gray frames: the half-open box [x0, x1) x [y0, y1) left after
 * peeling flat, unchanging lines off each edge; undefined when no edge has any.
 */
export function borderRect(
  frames: Uint8Array[],
  w: number,
  h: number,
): { x0: number; y0: number; x1: number; y1: number } | undefined {
  const flatLine = (at: (f: Uint8Array, k: number) => number, n: number): boolean => {
    let ref = -1;
    for (const f of frames) {
      let lo = 255;
      let hi = 0;
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const v = at(f, k);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
      }
      if (hi - lo > BORDER_FLAT * 2) return false;
      const mean = sum / n;
      if (ref < 0) ref = mean;
      else if (Math.abs(mean - ref) > BORDER_FLAT) return false;
    }
    return true;
  };
  const row = (y: number) => flatLine((f, k) => f[y * w + k]!, w);
  const col = (x: number) => flatLine((f, k) => f[k * w + x]!, h);
  let y0 = 0;
  while (y0 < h / 2 && row(y0)) y0++;
  let y1 = h;
  while (y1 > h / 2 && row(y1 - 1)) y1--;
  let x0 = 0;
  while (x0 < w / 2 && col(x0)) x0++;
  let x1 = w;
  while (x1 > w / 2 && col(x1 - 1)) x1--;
  if (x0 === 0 && y0 === 0 && x1 === w && y1 === h) return undefined;
  return { x0, y0, x1, y1 };
}

function cropFilter(c: CropRect, info: MediaInfo): string {
  return c.x === 0 && c.y === 0 && c.width === info.width && c.height === info.height
    ? ''
    : `crop=${c.width}:${c.height}:${c.x}:${c.y},`;
}

/** The frames of a recording as they are decoded, so face work can start before decoding ends. */
export interface FrameStream {
  fps: number;
  width: number;
  height: number;
  /** Frame i (time i / fps) once decoded; undefined after the last one. Rejects if decoding failed. */
  frame(i: number): Promise<Uint8Array | undefined>;
  /** Every frame, and the gray blink frames, once decoding has finished. */
  done: Promise<{ video: DecodedFrames; gray: GrayFrames }>;
}

const DROPPED = new Uint8Array(0);

/** Gray blink frames are this fraction of the analysis frame's size. */
export const GRAY_DIVISOR = 2;

/**
 * One ffmpeg pass for the analysis: the picture (inside `crop`) decoded once and split into RGB
 * frames at `fps` (stdout) and small gray frames at `grayFps` for the blink check (fd 3).
 */
export function decodeVideoStream(
  path: string,
  info: MediaInfo,
  crop: CropRect,
  size: { width: number; height: number },
  fps: number,
  grayFps: number,
  /** Frames to keep after they were read once (the others are dropped to bound memory). */
  keep: (i: number) => boolean = () => true,
): FrameStream {
  const { width, height } = size;
  const gw = Math.max(2, Math.round(width / GRAY_DIVISOR / 2) * 2);
  const gh = Math.max(2, Math.round(height / GRAY_DIVISOR / 2) * 2);
  const frameBytes = width * height * 3;
  const grayBytes = gw * gh;
  const maxFrames = Math.ceil((info.durationSec + 1) * fps);
  const maxGray = Math.ceil((info.durationSec + 1) * grayFps);
  const child = spawn(
    ffmpegBin(),
    [
      '-v',
      'error',
      '-i',
      path,
      '-an',
      '-filter_complex',
      `[0:v]${cropFilter(crop, info)}split=2[a][b];` +
        `[a]fps=${fps},scale=${width}:${height}:flags=area,format=rgb24[rgb];` +
        `[b]fps=${grayFps},scale=${gw}:${gh}:flags=area,format=gray[g]`,
      '-map',
      '[rgb]',
      '-f',
      'rawvideo',
      'pipe:1',
      '-map',
      '[g]',
      '-f',
      'rawvideo',
      'pipe:3',
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const frames: Uint8Array[] = [];
  const grayChunks: Buffer[] = [];
  let grayLen = 0;
  let partial: Buffer[] = [];
  let partialLen = 0;
  let finished = false;
  let failure: Error | undefined;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const fail = (e: Error) => {
    if (finished) return;
    failure ??= e;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => fail(new Error('ffmpeg did not finish decoding within 60 s')), 60000);
  child.stdout!.on('data', (d: Buffer) => {
    partial.push(d);
    partialLen += d.length;
    if (partialLen < frameBytes) return;
    const all = Buffer.concat(partial);
    let o = 0;
    for (; o + frameBytes <= all.length; o += frameBytes) {
      if (frames.length >= maxFrames + 2)
        return fail(new Error('ffmpeg produced more frames than the duration allows'));
      // A copy, so a dropped frame's memory is not held by a kept neighbour in the same chunk.
      frames.push(Uint8Array.prototype.slice.call(all, o, o + frameBytes));
    }
    partial = o < all.length ? [all.subarray(o)] : [];
    partialLen = all.length - o;
    wake();
  });
  const grayOut = child.stdio[3] as NodeJS.ReadableStream;
  grayOut.on('data', (d: Buffer) => {
    grayLen += d.length;
    if (grayLen > grayBytes * (maxGray + 2))
      return fail(new Error('ffmpeg produced more gray frames than the duration allows'));
    grayChunks.push(d);
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 20000) err += d.toString();
  });
  const done = new Promise<{ video: DecodedFrames; gray: GrayFrames }>((resolve, reject) => {
    child.on('error', (e) => fail(e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      finished = true;
      if (!failure && code !== 0)
        failure = new Error(`ffmpeg exited with ${code ?? signal}: ${err.slice(-2000)}`);
      wake();
      if (failure) return reject(failure);
      const all = Buffer.concat(grayChunks);
      const gray: Uint8Array[] = [];
      for (let o = 0; o + grayBytes <= all.length; o += grayBytes)
        gray.push(new Uint8Array(all.buffer, all.byteOffset + o, grayBytes));
      resolve({
        video: { fps, width, height, frames },
        gray: { fps: grayFps, width: gw, height: gh, scale: gw / width, frames: gray },
      });
    });
  });
  done.catch(() => undefined);
  let released = 0;
  const frame = async (i: number): Promise<Uint8Array | undefined> => {
    // Reading frame i means every earlier frame was read: drop those not asked to be kept.
    for (; released < Math.min(i, frames.length); released++) if (!keep(released)) frames[released] = DROPPED;
    for (;;) {
      if (i < frames.length) return frames[i];
      if (failure) throw failure;
      if (finished) return undefined;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { fps, width, height, frame, done };
}
