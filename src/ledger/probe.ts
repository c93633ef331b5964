/** What ffprobe says about a media file: the streams the fingerprint and the verifier need. */
import { z } from 'zod';
import { UnsupportedMedia } from '../http/errors';
import { ffprobeBin, runTool } from '../media/tools';

export interface ProbedMedia {
  formatName: string;
  /** A still image (PNG, JPEG, WebP...) rather than a video stream. */
  isImage: boolean;
  durationSec: number | null;
  video: { codec: string; width: number; height: number; fps: number; frames: number | null } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

const probeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        avg_frame_rate: z.string().optional(),
        nb_frames: z.string().optional(),
        sample_rate: z.string().optional(),
        channels: z.number().optional(),
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

function rate(s: string | undefined): number {
  if (!s) return 0;
  const [a, b] = s.split('/').map(Number);
  return b ? a / b : a || 0;
}

/** Throws UnsupportedMedia with ffprobe's last line when the file cannot be parsed (truncated, corrupt, not media). */
export async function probeFile(path: string): Promise<ProbedMedia> {
  let out: string;
  try {
    out = (
      await runTool(
        ffprobeBin(),
        ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path],
        {
          timeoutMs: 30000,
          maxStdoutBytes: 4 * 1024 * 1024,
        },
      )
    ).stdout.toString();
  } catch (e) {
    const last = ((e as Error).message.trim().split('\n').pop() ?? '').replace(/^.*?: /, '').slice(0, 200);
    throw new UnsupportedMedia(
      'media_unreadable',
      `The file could not be decoded as media (${last || 'unknown error'}); it may be truncated or corrupt.`,
    );
  }
  const parsed = probeSchema.safeParse(JSON.parse(out || '{}'));
  if (!parsed.success)
    throw new UnsupportedMedia('media_unreadable', 'The file could not be described as media.');
  const { streams, format } = parsed.data;
  const v = streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height,
  );
  const a = streams.find((s) => s.codec_type === 'audio' && s.sample_rate);
  const dur = Number(format.duration ?? v?.duration ?? a?.duration);
  const fps = v ? rate(v.avg_frame_rate) : 0;
  const formatName = format.format_name ?? '';
  return {
    formatName,
    isImage: !!v && /(_pipe|^image2)$/.test(formatName),
    durationSec: Number.isFinite(dur) ? dur : null,
    video: v
      ? {
          codec: v.codec_name ?? '',
          width: v.width!,
          height: v.height!,
          fps: fps > 0 && fps < 1000 ? fps : 0,
          frames: v.nb_frames ? Number(v.nb_frames) : null,
        }
      : null,
    audio: a
      ? { codec: a.codec_name ?? '', sampleRate: Number(a.sample_rate), channels: a.channels ?? 1 }
      : null,
  };
}
