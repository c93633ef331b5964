/**
 * Builders of presentation attacks and genuine variants from the shared fixtures, used by the
 * integration tests (tests/integration/consent-analysis) and the bench (bench/consent.bench.ts).
 * Every builder writes an MP4 (H.264 + AAC) into `dir` and returns its path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegBin, runTool } from '../../src/media/tools';
import type { Challenge } from '../../src/consent/challenge';
import { fixture } from '../../tests/helpers/fixtures';

export const TALKING_B = fixture('selfie', 'talking-b.mp4');
export const TALKING_A = fixture('selfie', 'talking-a.mp4');
export const SILENT_D = fixture('selfie', 'silent-d.mp4');
export const EXPRESSIONS_C = fixture('selfie', 'expressions-c.mp4');

/**
 * The challenge talking-b.mp4 actually answers, read off its measured head pose (yaw ratio over
 * time, bench/consent/measure.ts): he turns to his left around 1.4-1.9 s, to his right around
 * 3.1-3.5 s, to his left again at 6.5-6.9 s, and speaks throughout (Silero VAD).
 */
export function talkingBChallenge(): Challenge {
  return {
    id: 'fixture-talking-b',
    turns: [
      { direction: 'left', window: { startSec: 1.0, endSec: 2.5 } },
      { direction: 'right', window: { startSec: 2.5, endSec: 4.0 } },
      { direction: 'left', window: { startSec: 5.5, endSec: 7.0 } },
    ],
    blink: { window: { startSec: 0, endSec: 7.3 } },
    code: { digits: '418207', window: { startSec: 3.5, endSec: 6.5 } },
    durationSec: 7.3,
  };
}

/**
 * talking-a.mp4 (15 s; tests and bench use its first 10 s, TALKING_A_SECONDS) has clear speech at
 * 0.4-2.4 s and 4.6-6.2 s (Silero VAD) and blinks (eye contrast dips near 7.4 and 8.4 s), but no
 * head turn: her yaw stays within ±0.09 of frontal. A challenge fixed to this footage can only ask
 * for turns she never makes, so it exercises every check except head-turns.
 */
export const TALKING_A_SECONDS = 10;
export function talkingAChallenge(): Challenge {
  return {
    id: 'fixture-talking-a',
    turns: [
      { direction: 'left', window: { startSec: 6.0, endSec: 8.0 } },
      { direction: 'right', window: { startSec: 8.0, endSec: 9.5 } },
    ],
    blink: { window: { startSec: 0, endSec: 10 } },
    code: { digits: '905316', window: { startSec: 0.2, endSec: 3.7 } },
    durationSec: 10,
  };
}

export function workDir(prefix = 'consent-attacks-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '96k'];

async function ff(args: string[]): Promise<void> {
  await runTool(ffmpegBin(), ['-v', 'error', '-y', ...args], { timeoutMs: 120000 });
}

/** One frame of a clip as PNG. */
export async function grabFrame(dir: string, clip: string, atSec: number): Promise<string> {
  const out = path.join(dir, `frame-${path.basename(clip, '.mp4')}-${atSec}.png`);
  await ff(['-ss', String(atSec), '-i', clip, '-frames:v', '1', out]);
  return out;
}

/** A still photo shown as video for the clip's duration, with the clip's real audio. */
export async function stillPhotoAttack(
  dir: string,
  photo: string,
  audioFrom: string,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(dir, `still-${path.basename(photo)}-${path.basename(audioFrom)}.mp4`);
  await ff([
    '-loop',
    '1',
    '-framerate',
    '25',
    '-i',
    photo,
    '-i',
    audioFrom,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-t',
    String(seconds),
    '-vf',
    'scale=512:512:force_original_aspect_ratio=decrease,pad=512:512:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** Photos of the same person cut together, each shown for `holdSec`, with real audio. */
export async function slideshowAttack(
  dir: string,
  photos: string[],
  audioFrom: string,
  holdSec: number,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(
    dir,
    `slideshow-${photos.map((p) => path.basename(p, path.extname(p))).join('+')}-${holdSec}.mp4`,
  );
  const n = Math.ceil(seconds / holdSec);
  const inputs: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    inputs.push('-loop', '1', '-framerate', '25', '-t', String(holdSec), '-i', photos[i % photos.length]!);
    labels.push(`[v${i}]`);
  }
  const scale = Array.from(
    { length: n },
    (_, i) =>
      `[${i}:v]scale=512:512:force_original_aspect_ratio=decrease,pad=512:512:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[v${i}]`,
  ).join(';');
  await ff([
    ...inputs,
    '-i',
    audioFrom,
    '-filter_complex',
    `${scale};${labels.join('')}concat=n=${n}:v=1:a=0[v]`,
    '-map',
    '[v]',
    '-map',
    `${n}:a`,
    '-t',
    String(seconds),
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

export type WarpKind = 'pan-zoom' | 'perspective-turns' | 'shear-rotate';

/**
 * A photo moved in front of the camera to fake head turns: panned and zoomed; perspective-warped
 * in step with the challenge's turn windows (one side of the picture pushed back, as when a
 * printed photo is swivelled); or sheared and rotated. Real audio underneath.
 */
export async function warpedPhotoAttack(
  dir: string,
  photo: string,
  audioFrom: string,
  kind: WarpKind,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(dir, `warp-${kind}-${path.basename(photo)}.mp4`);
  const base = 'scale=512:512:force_original_aspect_ratio=decrease,pad=512:512:(ow-iw)/2:(oh-ih)/2,setsar=1';
  let vf: string;
  if (kind === 'pan-zoom') {
    vf = `${base},zoompan=z='1.15+0.12*sin(in/9)':x='iw/2-iw/zoom/2+30*sin(in/13)':y='ih/2-ih/zoom/2+20*sin(in/7)':d=1:s=512x512:fps=25`;
  } else if (kind === 'perspective-turns') {
    // Swivel: +1 between 1.2-2.2 s and 5.8-6.8 s (one way), -1 at 2.8-3.8 s (the other way).
    const s = '(between(in/25,1.2,2.2)+between(in/25,5.8,6.8)-between(in/25,2.8,3.8))';
    vf = `${base},perspective=x0='90*max(${s},0)':y0='40*max(${s},0)':x1='512-90*max(-${s},0)':y1='40*max(-${s},0)':x2='90*max(${s},0)':y2='512-40*max(${s},0)':x3='512-90*max(-${s},0)':y3='512-40*max(-${s},0)':sense=destination:eval=frame`;
  } else {
    vf = `${base},rotate=a='0.12*sin(t*2)':fillcolor=gray,scale=512:512`;
  }
  await ff([
    '-loop',
    '1',
    '-framerate',
    '25',
    '-i',
    photo,
    '-i',
    audioFrom,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-t',
    String(seconds),
    '-vf',
    `${vf},format=yuv420p`,
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** Two people side by side in one frame (each 512x512 half), audio of the first. */
export async function sideBySideAttack(dir: string, a: string, b: string, seconds = 7.3): Promise<string> {
  const out = path.join(dir, `side-by-side-${path.basename(a, '.mp4')}-${path.basename(b, '.mp4')}.mp4`);
  await ff([
    '-i',
    a,
    '-i',
    b,
    '-filter_complex',
    '[0:v]scale=512:512,setsar=1,fps=25[l];[1:v]scale=512:512,setsar=1,fps=25[r];[l][r]hstack=inputs=2[v]',
    '-map',
    '[v]',
    '-map',
    '0:a',
    '-t',
    String(seconds),
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** A recording that cuts from one person to another at `cutSec`, keeping the first's audio. */
export async function cutBetweenAttack(
  dir: string,
  a: string,
  b: string,
  cutSec: number,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(dir, `cut-${path.basename(a, '.mp4')}-${path.basename(b, '.mp4')}-${cutSec}.mp4`);
  await ff([
    '-i',
    a,
    '-i',
    b,
    '-filter_complex',
    `[0:v]trim=0:${cutSec},setpts=PTS-STARTPTS,scale=512:512,setsar=1,fps=25[p];[1:v]trim=${cutSec}:${seconds},setpts=PTS-STARTPTS,scale=512:512,setsar=1,fps=25[q];[p][q]concat=n=2:v=1:a=0[v]`,
    '-map',
    '[v]',
    '-map',
    '0:a',
    '-t',
    String(seconds),
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** The video of one clip with the audio of another (dubbed / swapped voice). */
export async function replacedAudioAttack(
  dir: string,
  videoFrom: string,
  audioFrom: string,
  audioOffsetSec = 0,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(
    dir,
    `dub-${path.basename(videoFrom, '.mp4')}-${path.basename(audioFrom, '.mp4')}-${audioOffsetSec}.mp4`,
  );
  await ff([
    '-i',
    videoFrom,
    '-ss',
    String(audioOffsetSec),
    '-i',
    audioFrom,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-t',
    String(seconds),
    '-c:v',
    'copy',
    ...AAC,
    out,
  ]);
  return out;
}

/** The clip's own audio shifted later (positive) or earlier (negative) by `shiftSec`. */
export async function shiftedAudioAttack(
  dir: string,
  clip: string,
  shiftSec: number,
  seconds = 7.3,
): Promise<string> {
  const out = path.join(dir, `shift-${path.basename(clip, '.mp4')}-${shiftSec}.mp4`);
  const af =
    shiftSec >= 0
      ? `adelay=${Math.round(shiftSec * 1000)}:all=1`
      : `atrim=start=${-shiftSec},asetpts=PTS-STARTPTS`;
  await ff([
    '-i',
    clip,
    '-map',
    '0:v',
    '-map',
    '0:a',
    '-af',
    af,
    '-t',
    String(seconds),
    '-c:v',
    'copy',
    ...AAC,
    out,
  ]);
  return out;
}

/** Genuine variants: re-encoded at a given quality, scaled into a 1280x720 frame, trimmed at the end. */
export async function reencodeVariant(dir: string, clip: string, crf: number): Promise<string> {
  const out = path.join(dir, `reenc-${path.basename(clip, '.mp4')}-crf${crf}.mp4`);
  await ff([
    '-i',
    clip,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    String(crf),
    '-pix_fmt',
    'yuv420p',
    ...AAC,
    out,
  ]);
  return out;
}

export async function scale720Variant(dir: string, clip: string, seconds?: number): Promise<string> {
  const out = path.join(dir, `720p-${path.basename(clip, '.mp4')}${seconds ? `-${seconds}s` : ''}.mp4`);
  await ff([
    '-i',
    clip,
    ...(seconds ? ['-t', String(seconds)] : []),
    '-vf',
    'scale=-2:720,pad=1280:720:(ow-iw)/2:0,setsar=1',
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/**
 * A genuine recording as a phone stores portrait video: the picture (in a 9:16 frame) coded
 * sideways, 90 degrees clockwise, with a display rotation that turns it upright again. Players,
 * and ffmpeg's decoder, show it upright; the coded width and height are the displayed ones swapped.
 */
export async function portraitPhoneVariant(dir: string, clip: string): Promise<string> {
  const sideways = path.join(dir, `sideways-${path.basename(clip, '.mp4')}.mp4`);
  const out = path.join(dir, `portrait-${path.basename(clip, '.mp4')}.mp4`);
  // Near-lossless, so only the storage differs from the original.
  await ff([
    '-i',
    clip,
    '-vf',
    'pad=iw:trunc(iw*16/9/2)*2:0:(oh-ih)/2,transpose=1',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '12',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'copy',
    sideways,
  ]);
  // ffmpeg 5's muxer writes the "rotate" tag as the stream's display matrix.
  await ff(['-i', sideways, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', out]);
  return out;
}

export async function trimVariant(dir: string, clip: string, endSec: number): Promise<string> {
  const out = path.join(dir, `trim-${path.basename(clip, '.mp4')}-${endSec}.mp4`);
  await ff(['-i', clip, '-t', String(endSec), ...X264, ...AAC, out]);
  return out;
}

/**
 * A genuine recording from a 16:9 camera with the face small in the frame: the clip at its own
 * size in the middle of 1280x720, the sides filled with a blurred, enlarged copy of itself (as
 * phones fill portrait video), so there are no flat bars to strip.
 */
export async function smallInWideVariant(dir: string, clip: string, seconds?: number): Promise<string> {
  const out = path.join(dir, `wide-${path.basename(clip, '.mp4')}${seconds ? `-${seconds}s` : ''}.mp4`);
  await ff([
    '-i',
    clip,
    ...(seconds ? ['-t', String(seconds)] : []),
    '-filter_complex',
    '[0:v]split=2[a][b];[a]scale=1280:720,boxblur=20:2,setsar=1[bg];[b]setsar=1[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2[v]',
    '-map',
    '[v]',
    '-map',
    '0:a',
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** A re-upload letterboxed into a wider frame with bars of `colour` (top/bottom and sides). */
export async function letterboxVariant(
  dir: string,
  clip: string,
  w: number,
  h: number,
  colour = 'black',
): Promise<string> {
  const out = path.join(dir, `box-${path.basename(clip, '.mp4')}-${w}x${h}-${colour}.mp4`);
  await ff([
    '-i',
    clip,
    '-vf',
    `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=${colour},setsar=1`,
    ...X264,
    ...AAC,
    out,
  ]);
  return out;
}

/** A re-upload with `fraction` of each edge cropped away (then scaled back). */
export async function cropVariant(dir: string, clip: string, fraction: number): Promise<string> {
  const out = path.join(dir, `crop-${path.basename(clip, '.mp4')}-${fraction}.mp4`);
  const keep = 1 - 2 * fraction;
  await ff(['-i', clip, '-vf', `crop=iw*${keep}:ih*${keep},scale=512:512,setsar=1`, ...X264, ...AAC, out]);
  return out;
}

/** Seconds [from, to) of a clip, re-encoded: another recording of the same person, for controls. */
export async function segmentVariant(dir: string, clip: string, from: number, to: number): Promise<string> {
  const out = path.join(dir, `seg-${path.basename(clip, '.mp4')}-${from}-${to}.mp4`);
  await ff(['-ss', String(from), '-t', String(to - from), '-i', clip, ...X264, ...AAC, out]);
  return out;
}
