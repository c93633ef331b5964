import fs from 'node:fs';
import { z } from 'zod';
import { Invalid, PayloadTooLarge, UnsupportedMedia } from '../../http/errors';
import { ffmpegBin, ffprobeBin, runTool } from '../../media/tools';
import {
  ANALYSIS_MAX_SIDE,
  AUDIO_RATE,
  MAX_RECORDING_BYTES,
  MAX_RECORDING_SECONDS,
  MIN_RECORDING_SECONDS,
} from './limits';

const probeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        duration: z.string().optional(),
        disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
      }),
    )
    .default([]),
  format: z
    .object({ duration: z.string().optional(), format_name: z.string().optional() })
    .partial()
    .default({}),
});

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
  let raw: unknown;
  try {
    const { stdout } = await runTool(
      ffprobeBin(),
      ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path],
      {
        timeoutMs: 20000,
      },
    );
    raw = JSON.parse(stdout.toString('utf8'));
  } catch {
    throw new UnsupportedMedia('not_a_video', 'The upload is not a video file we can read.');
  }
  const probe = probeSchema.parse(raw);
  const video = probe.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const format = probe.format.format_name ?? '';
  // Still images (png, jpeg...) probe as a one-frame "video" stream through the image2 demuxer.
  if (!video || !video.width || !video.height || /image2|png_pipe|jpeg_pipe|webp_pipe|gif/.test(format)) {
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
  const durationSec = Number(probe.format.duration ?? video.duration ?? 'NaN');
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

export function analysisSize(w: number, h: number): { width: number; height: number } {
  const s = Math.min(1, ANALYSIS_MAX_SIDE / Math.max(w, h));
  const even = (v: number) => Math.max(2, Math.round((v * s) / 2) * 2);
  return { width: even(w), height: even(h) };
}

export async function decodeFrames(path: string, info: MediaInfo, fps: number): Promise<DecodedFrames> {
  const { width, height } = analysisSize(info.width, info.height);
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
      `fps=${fps},scale=${width}:${height}:flags=area`,
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

/**
 * Half-resolution grayscale frames at a high rate, for blinks: a blink lasts 100-300 ms and is
 * easily missed at the landmark sampling rate, but the eye region's contrast can be read cheaply
 * on every frame.
 */
export async function decodeGray(
  path: string,
  info: MediaInfo,
  fps: number,
  analysis: { width: number; height: number },
): Promise<GrayFrames> {
  const width = Math.max(2, Math.round(analysis.width / 4) * 2);
  const height = Math.max(2, Math.round(analysis.height / 4) * 2);
  const frameBytes = width * height;
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
      `fps=${fps},scale=${width}:${height}:flags=area,format=gray`,
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { timeoutMs: 60000, maxStdoutBytes: frameBytes * (maxFrames + 2) },
  );
  const frames: Uint8Array[] = [];
  for (let o = 0; o + frameBytes <= stdout.length; o += frameBytes) {
    frames.push(new Uint8Array(stdout.buffer, stdout.byteOffset + o, frameBytes));
  }
  return { fps, width, height, scale: width / analysis.width, frames };
}
