/** What ffprobe says about a media file: the streams the fingerprint and the verifier need. */
import { UnsupportedMedia } from '../http/errors';
import { ffprobe, frameRate, ProbeFailed, type Ffprobe } from '../media/ffprobe';

export interface ProbedMedia {
  formatName: string;
  /** A still image (PNG, JPEG, WebP...) rather than a video stream. */
  isImage: boolean;
  durationSec: number | null;
  video: { codec: string; width: number; height: number; fps: number; frames: number | null } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

/** Throws UnsupportedMedia with ffprobe's last line when the file cannot be parsed (truncated, corrupt, not media). */
export async function probeFile(path: string): Promise<ProbedMedia> {
  let p: Ffprobe;
  try {
    p = await ffprobe(path);
  } catch (e) {
    if (!(e instanceof ProbeFailed)) throw e;
    throw new UnsupportedMedia(
      'media_unreadable',
      e.detail === 'unexpected output' || e.detail === 'unreadable output'
        ? 'The file could not be described as media.'
        : `The file could not be decoded as media (${e.detail}); it may be truncated or corrupt.`,
    );
  }
  const { video: v, audio: a, formatName } = p;
  const fps = v ? frameRate(v.avg_frame_rate) : 0;
  return {
    formatName,
    isImage: !!v && /(_pipe|^image2)$/.test(formatName),
    durationSec: Number.isFinite(p.durationSec) ? p.durationSec : null,
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
