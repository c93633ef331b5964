/**
 * The one ffprobe call: runs it, validates its JSON, and picks the streams every domain cares
 * about. Each domain maps this to its own view and its own errors.
 */
import { z } from 'zod';
import { ffprobeBin, runTool } from './tools';

const streamSchema = z.object({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  pix_fmt: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  r_frame_rate: z.string().optional(),
  nb_frames: z.string().optional(),
  sample_rate: z.string().optional(),
  channels: z.number().optional(),
  duration: z.string().optional(),
  disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
  // Phones store portrait video as landscape frames plus a display rotation (a display matrix,
  // or the older "rotate" tag).
  side_data_list: z.array(z.object({ rotation: z.number().optional() }).partial()).optional(),
  tags: z.object({ rotate: z.string().optional() }).partial().optional(),
});
const probeSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: z
    .object({ duration: z.string().optional(), format_name: z.string().optional() })
    .partial()
    .default({}),
});

export type FfprobeStream = z.infer<typeof streamSchema>;

export interface Ffprobe {
  formatName: string;
  /** The container's duration, else the chosen video or audio stream's; NaN when none is known. */
  durationSec: number;
  /**
   * The first video stream that is a picture sequence (not cover art), if any, with its width and
   * height as displayed (swapped when it is stored rotated by 90 or 270 degrees).
   */
  video: FfprobeStream | null;
  /** The first audio stream with a sample rate, if any. */
  audio: FfprobeStream | null;
  streams: FfprobeStream[];
}

/** ffprobe could not read the file, or said something that is not a description of media. */
export class ProbeFailed extends Error {
  constructor(
    /** ffprobe's last error line, without its prefix: says why in ffprobe's words */
    readonly detail: string,
  ) {
    super(`ffprobe failed: ${detail}`);
  }
}

/** "30000/1001" -> 29.97; 0 when absent or undefined. */
export function frameRate(s: string | undefined): number {
  if (!s) return 0;
  const [a, b] = s.split('/').map(Number);
  const r = b ? a / b : a || 0;
  return Number.isFinite(r) ? r : 0;
}

/**
 * The stream's display rotation in degrees, normalised to 0, 90, 180 or 270. ffmpeg turns decoded
 * frames upright by it, so every reader of frames sees the displayed size, not the coded one.
 */
export function displayRotation(s: FfprobeStream): number {
  const r = s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? Number(s.tags?.rotate ?? 0);
  if (!Number.isFinite(r)) return 0;
  return (((Math.round(r / 90) * 90) % 360) + 360) % 360;
}

export async function ffprobe(path: string, opts: { timeoutMs?: number } = {}): Promise<Ffprobe> {
  let out: string;
  try {
    out = (
      await runTool(
        ffprobeBin(),
        ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path],
        {
          timeoutMs: opts.timeoutMs ?? 30000,
          maxStdoutBytes: 4 * 1024 * 1024,
        },
      )
    ).stdout.toString();
  } catch (e) {
    const last = ((e as Error).message.trim().split('\n').pop() ?? '').replace(/^.*?: /, '').slice(0, 200);
    throw new ProbeFailed(last || 'unknown error');
  }
  let json: unknown;
  try {
    json = JSON.parse(out || '{}');
  } catch {
    throw new ProbeFailed('unreadable output');
  }
  const parsed = probeSchema.safeParse(json);
  if (!parsed.success) throw new ProbeFailed('unexpected output');
  const { streams, format } = parsed.data;
  const coded =
    streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height) ??
    null;
  const video =
    coded && displayRotation(coded) % 180 !== 0
      ? { ...coded, width: coded.height, height: coded.width }
      : coded;
  const audio = streams.find((s) => s.codec_type === 'audio' && s.sample_rate) ?? null;
  return {
    formatName: format.format_name ?? '',
    durationSec: Number(format.duration ?? video?.duration ?? audio?.duration ?? NaN),
    video,
    audio,
    streams,
  };
}
