import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { Invalid, UnsupportedMedia } from '../http/errors';
import { ffprobe, frameRate, ProbeFailed, type Ffprobe } from '../media/ffprobe';
import { ffmpegBin, runTool } from '../media/tools';

/** What the watermark needs to know about a media file (from ffprobe). */
export interface MediaInfo {
  video: {
    width: number;
    height: number;
    fps: number;
    /**
     * The rate a marked copy is written at: the stream's base rate (r_frame_rate), which a
     * variable-rate source (phones) reaches in its fastest stretches, so no frame is dropped;
     * the average rate when the base rate is missing, below it, or above 60.
     */
    writeFps: number;
    pixFmt: string;
    codec: string;
    frames: number | null;
  } | null;
  audio: { sampleRate: number; channels: number; codec: string } | null;
  durationSec: number;
  formatName: string;
}

export async function probeMedia(path: string): Promise<MediaInfo> {
  if (!fs.existsSync(path)) throw new Invalid('file_not_found', `No file at ${path}.`);
  let p: Ffprobe;
  try {
    p = await ffprobe(path);
  } catch (e) {
    if (!(e instanceof ProbeFailed)) throw e;
    throw new UnsupportedMedia('unsupported_media', 'The file is not a readable image, video or audio file.');
  }
  const { video: v, audio: a } = p;
  const fps = v ? frameRate(v.avg_frame_rate) || frameRate(v.r_frame_rate) || 25 : 0;
  const base = v ? frameRate(v.r_frame_rate) : 0;
  return {
    video: v
      ? {
          width: v.width!,
          height: v.height!,
          fps: fps > 0 && fps < 1000 ? fps : 25,
          writeFps: base >= fps && base <= 60 ? base : fps > 0 && fps < 1000 ? fps : 25,
          pixFmt: v.pix_fmt ?? '',
          codec: v.codec_name ?? '',
          frames: v.nb_frames ? Number(v.nb_frames) : null,
        }
      : null,
    audio: a
      ? { sampleRate: Number(a.sample_rate), channels: a.channels ?? 1, codec: a.codec_name ?? '' }
      : null,
    durationSec: p.durationSec || 0,
    formatName: p.formatName,
  };
}

/** Decodes audio to interleaved float PCM at the given rate and channel count. */
export async function decodeAudio(
  path: string,
  sampleRate: number,
  channels: number,
  maxSeconds?: number,
): Promise<Float32Array> {
  const args = [
    '-v',
    'error',
    '-i',
    path,
    ...(maxSeconds ? ['-t', String(maxSeconds)] : []),
    '-map',
    '0:a:0',
    '-vn',
    '-ac',
    String(channels),
    '-ar',
    String(sampleRate),
    '-f',
    'f32le',
    'pipe:1',
  ];
  const { stdout } = await runTool(ffmpegBin(), args, {
    timeoutMs: 300000,
    maxStdoutBytes: 2 * 1024 * 1024 * 1024,
  });
  const copy = new Float32Array(stdout.length >> 2);
  Buffer.from(copy.buffer).set(stdout.subarray(0, copy.length * 4));
  return copy;
}

/**
 * Streams fixed-size raw frames out of a child process's stdout. Chunks are copied straight into
 * one frame buffer that is reused: a yielded frame is valid until the loop asks for the next one
 * (copy it to keep it). Allocating a frame per frame made the garbage collector a third of the cost.
 */
export async function* rawFrames(
  child: ChildProcessWithoutNullStreams,
  frameBytes: number,
): AsyncGenerator<Buffer> {
  const frame = Buffer.allocUnsafeSlow(frameBytes);
  let have = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(frameBytes - have, chunk.length - off);
      chunk.copy(frame, have, off, off + n);
      have += n;
      off += n;
      if (have === frameBytes) {
        yield frame;
        have = 0;
      }
    }
  }
}

export function spawnFfmpeg(args: string[]): { child: ChildProcessWithoutNullStreams; done: Promise<void> } {
  const child = spawn(ffmpegBin(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 8000) err += d.toString();
  });
  child.stdin.on('error', () => undefined);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err.slice(-1500)}`)),
    );
  });
  return { child, done };
}

/** Gray (luma) frames of the first video stream, with their timestamps estimated from the frame rate. */
export async function* decodeLuma(
  path: string,
  info: MediaInfo,
  maxSeconds?: number,
): AsyncGenerator<{ y: Buffer; index: number; timeSec: number }> {
  const v = info.video!;
  const args = [
    '-v',
    'error',
    '-i',
    path,
    ...(maxSeconds ? ['-t', String(maxSeconds)] : []),
    '-map',
    '0:v:0',
    '-an',
    '-fps_mode',
    'passthrough',
    '-pix_fmt',
    'gray',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const { child, done } = spawnFfmpeg(args);
  const settled = done.then(
    () => null,
    (e: Error) => e,
  );
  let index = 0;
  try {
    for await (const f of rawFrames(child, v.width * v.height)) {
      yield { y: f, index, timeSec: index / v.fps };
      index++;
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const err = await settled;
  if (err && index === 0)
    throw new UnsupportedMedia(
      'undecodable_video',
      `The video stream could not be decoded: ${err.message.slice(0, 200)}`,
    );
}
