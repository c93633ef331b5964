import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Invalid, UnsupportedMedia } from '../http/errors';
import { embedAudioOffThread } from './audio-embed-off-thread';
import { checkKey, checkPayload, writeAtomically } from './file-io';
import { MIN_SIDE } from './luma';
import { decodeAudio, probeMedia, rawFrames, spawnFfmpeg, type MediaInfo } from './media';
import { createQualityGuard } from './video-quality-guard';

/** What embedVideoFile writes: an MP4 for a clip with pictures, these for sound alone. */
const VIDEO_OUTPUTS = ['.mp4', '.m4v', '.mov'];
const AUDIO_OUTPUTS = ['.m4a', '.mp4', '.aac', '.mp3', '.wav'];
/**
 * Longest media embedVideoFile marks. The sound is marked whole in memory (about 3.6 GB of RSS and
 * 2 minutes for 20 minutes of 48 kHz stereo on the 2-core dev machine), so a feature-length file
 * would exhaust a host's memory instead of failing with a reason.
 */
export const MAX_MARK_SECONDS = 15 * 60;
/**
 * The marked sound's AAC bitrate. Every re-encoding after delivery starts from this copy, and the
 * mark survives a second codec better the less the first one took. Five soundtracks of the
 * built-in model, delivered then re-encoded, 3 s windows identified against a ledger of 1e9, of 30
 * (160k / 256k / 320k): MP3 64k 1 / 5 / 11, AAC 128k 25 / 27 / 28. About 200 kB more per 10 s.
 */
const DELIVERED_AAC_BITRATE = '320k';
/** Share of a video's frames (as its container counts them) that must decode for it to be marked. */
const MIN_DECODED_SHARE = 0.9;

/** ffmpeg input arguments for a marked track written as raw interleaved float samples */
function rawAudioInput(audio: { path: string; rate: number; channels: number }): string[] {
  return ['-f', 'f32le', '-ar', String(audio.rate), '-ac', String(audio.channels), '-i', audio.path];
}

/** Marks a file's sound (on a worker thread) into a temporary raw f32le file; returns its path. */
async function markedAudioTrack(
  inPath: string,
  info: MediaInfo,
  payloadHex: string,
  key: Buffer,
  dir: string,
): Promise<{ path: string; rate: number; channels: number } | null> {
  if (!info.audio) return null;
  const rate = info.audio.sampleRate;
  const channels = Math.min(2, Math.max(1, info.audio.channels));
  let inter: Float32Array;
  try {
    inter = await decodeAudio(inPath, rate, channels);
  } catch {
    throw new UnsupportedMedia(
      'undecodable_audio',
      'The sound could not be decoded: the file is damaged or its audio codec is not supported.',
    );
  }
  const n = Math.floor(inter.length / channels);
  const planes = Array.from({ length: channels }, (_, c) => {
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = inter[i * channels + c];
    return p;
  });
  const marked = await embedAudioOffThread(planes, rate, payloadHex, key);
  for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) inter[i * channels + c] = marked[c][i];
  const p = path.join(dir, 'audio.f32');
  await fs.promises.writeFile(p, Buffer.from(inter.buffer, inter.byteOffset, n * channels * 4));
  return { path: p, rate, channels };
}

/**
 * Marks a video (and its audio track, if any) and writes an H.264/AAC MP4. Odd sizes lose their
 * last row/column (4:2:0 needs even sizes); 10-bit and 4:4:4 inputs come out as 8-bit 4:2:0;
 * variable frame rate is written at its base rate, in time with the sound (frames repeat where the
 * source ran slower).
 */
export async function embedVideoFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  checkPayload(payloadHex);
  checkKey(key);
  const info = await probeMedia(inPath);
  const ext = path.extname(outPath).toLowerCase();
  if (info.durationSec > MAX_MARK_SECONDS)
    throw new Invalid(
      'media_too_long',
      `The file lasts ${(info.durationSec / 60).toFixed(1)} minutes; at most ${MAX_MARK_SECONDS / 60} minutes are marked at a time (cut it into parts).`,
    );
  if (!info.video) {
    if (!info.audio) throw new UnsupportedMedia('no_media_streams', 'The file has neither video nor audio.');
    if (!AUDIO_OUTPUTS.includes(ext))
      throw new Invalid(
        'unsupported_output',
        `Marked sound is written as ${AUDIO_OUTPUTS.join(', ')}: give the output one of these extensions${ext ? `, not ${ext}` : ''}.`,
      );
    return writeAtomically(outPath, (tmp) => embedAudioFile(inPath, tmp, payloadHex, key, info));
  }
  if (!VIDEO_OUTPUTS.includes(ext))
    throw new Invalid(
      'unsupported_output',
      `Marked videos are written as H.264/AAC MP4: give the output one of ${VIDEO_OUTPUTS.join(', ')} as its extension${ext ? `, not ${ext}` : ''}.`,
    );
  const w = info.video.width & ~1,
    h = info.video.height & ~1;
  if (w < MIN_SIDE || h < MIN_SIDE)
    throw new Invalid(
      'video_too_small',
      `Videos smaller than ${MIN_SIDE}x${MIN_SIDE} cannot carry the mark.`,
    );
  const video = { ...info.video, width: w, height: h };
  return writeAtomically(outPath, (tmp) => embedFrames(inPath, tmp, payloadHex, key, { ...info, video }));
}

async function embedFrames(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo & { video: NonNullable<MediaInfo['video']> },
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'wm-'));
  try {
    // The sound is marked on its own thread while the picture is: the two meet in a last remux.
    const pictureOut = info.audio ? path.join(dir, 'video.mp4') : outPath;
    const [a, v] = await Promise.allSettled([
      markedAudioTrack(inPath, info, payloadHex, key, dir),
      embedPicture(inPath, pictureOut, payloadHex, key, info),
    ]);
    // the sound's error first, as when it was marked before the picture
    if (a.status === 'rejected') throw a.reason;
    if (v.status === 'rejected') throw v.reason;
    const audio = a.value;
    if (audio) {
      const mux = spawnFfmpeg([
        '-v',
        'error',
        '-y',
        '-i',
        pictureOut,
        ...rawAudioInput(audio),
        '-map',
        '0:v:0',
        '-map',
        '1:a:0',
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        '-b:a',
        DELIVERED_AAC_BITRATE,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        outPath,
      ]);
      mux.child.stdin.end();
      await mux.done;
    }
    return v.value;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** Decodes, marks and encodes the picture alone (H.264 MP4 at outPath). */
async function embedPicture(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo & { video: NonNullable<MediaInfo['video']> },
): Promise<{ psnrDb?: number; ssimMin?: number }> {
  const { width: w, height: h } = info.video;
  const dec = spawnFfmpeg([
    '-v',
    'error',
    '-i',
    inPath,
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    `crop=${w}:${h}:0:0`,
    // Frames go out through a pipe that carries no timestamps and are written at a constant rate:
    // resampled here to that rate (a frame repeated where a variable-rate source ran slower),
    // the picture stays in time with the sound.
    '-fps_mode',
    'cfr',
    '-r',
    info.video.writeFps.toFixed(6),
    '-pix_fmt',
    'yuv420p',
    '-f',
    'rawvideo',
    'pipe:1',
  ]);
  const encArgs = [
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${w}x${h}`,
    '-framerate',
    info.video.writeFps.toFixed(6),
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '17',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    outPath,
  ];
  const enc = spawnFfmpeg(encArgs);
  const quality = createQualityGuard(payloadHex, key, w, h, info.video.writeFps);
  const frameBytes = w * h + 2 * (w / 2) * (h / 2);
  let mseSum = 0,
    frames = 0;
  const decDone = dec.done.then(
    () => null,
    (e: Error) => e,
  );
  const encDone = enc.done.then(
    () => null,
    (e: Error) => e,
  );
  for await (const f of rawFrames(dec.child, frameBytes)) {
    const buf = Buffer.from(f);
    mseSum += quality.embed(new Uint8Array(buf.buffer, buf.byteOffset, w * h), frames);
    frames++;
    if (!enc.child.stdin.write(buf)) await new Promise<void>((r) => enc.child.stdin.once('drain', () => r()));
  }
  enc.child.stdin.end();
  const [de, ee] = await Promise.all([decDone, encDone]);
  if (de && frames === 0)
    throw new UnsupportedMedia('undecodable_video', 'The video stream could not be decoded.');
  // A damaged stream decodes to the few frames ffmpeg could rebuild; marking those would hand
  // back a different, shorter clip as if it were the input.
  const expected = info.video.frames;
  if (expected && frames < expected * MIN_DECODED_SHARE)
    throw new UnsupportedMedia(
      'undecodable_video',
      `Only ${frames} of the video's ${expected} frames could be decoded; the file is damaged.`,
    );
  if (ee) throw ee;
  const mse = mseSum / Math.max(1, frames);
  return {
    psnrDb: mse > 0 ? 10 * Math.log10((255 * 255) / mse) : undefined,
    ssimMin: quality.ssimMin(),
  };
}

async function embedAudioFile(
  inPath: string,
  outPath: string,
  payloadHex: string,
  key: Buffer,
  info: MediaInfo,
): Promise<{ psnrDb?: number }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'wm-'));
  try {
    const audio = (await markedAudioTrack(inPath, info, payloadHex, key, dir))!;
    const ext = path.extname(outPath).toLowerCase();
    const codec =
      ext === '.wav'
        ? ['-c:a', 'pcm_s16le']
        : ext === '.mp3'
          ? ['-c:a', 'libmp3lame', '-b:a', '192k']
          : ['-c:a', 'aac', '-b:a', DELIVERED_AAC_BITRATE];
    const enc = spawnFfmpeg(['-v', 'error', '-y', ...rawAudioInput(audio), ...codec, outPath]);
    enc.child.stdin.end();
    await enc.done;
    return {};
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
