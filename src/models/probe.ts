import { ffprobe } from '../media/ffprobe';

export interface ClipProbe {
  formatNames: string[];
  durationSec: number;
  video: { codec: string; width: number; height: number } | null;
  audio: { codec: string } | null;
}

/** ffprobe's view of a clip; throws when ffprobe cannot parse it at all. */
export async function probeClip(file: string): Promise<ClipProbe> {
  const p = await ffprobe(file);
  const v = p.streams.find((s) => s.codec_type === 'video');
  const a = p.streams.find((s) => s.codec_type === 'audio');
  return {
    formatNames: p.formatName.split(','),
    durationSec: p.durationSec,
    video: v ? { codec: v.codec_name ?? '', width: v.width ?? 0, height: v.height ?? 0 } : null,
    audio: a ? { codec: a.codec_name ?? '' } : null,
  };
}

/** Why a model's clip is not what was asked for, or null when it is. */
export function clipMismatch(
  p: ClipProbe,
  want: { width: number; height: number; durationSec: number },
): string | null {
  if (!p.formatNames.includes('mp4'))
    return `the response is not an MP4 (ffprobe says ${p.formatNames.join(',') || 'unknown'})`;
  if (!p.video) return 'the response has no video stream';
  if (p.video.codec !== 'h264') return `the video codec is ${p.video.codec}, not H.264`;
  if (p.video.width !== want.width || p.video.height !== want.height) {
    return `the video is ${p.video.width}x${p.video.height}, not the requested ${want.width}x${want.height}`;
  }
  const tolerance = Math.max(0.25, want.durationSec * 0.05);
  if (!Number.isFinite(p.durationSec) || Math.abs(p.durationSec - want.durationSec) > tolerance) {
    return `the clip lasts ${Number.isFinite(p.durationSec) ? p.durationSec.toFixed(2) : 'an unknown time'} s, not ${want.durationSec} s`;
  }
  return null;
}
