/**
 * The watermark on the inputs operators and phones actually send: odd codecs, pixel formats, frame
 * rates, rotations, channel layouts, still formats and damaged files. Each is built from the
 * fixtures with ffmpeg, marked with embedVideoFile / embedImageFile, and read back with detectFile.
 * A row says what happened: marked and read back, or refused with its error code. Nothing may
 * crash, and nothing refused may leave a file behind. `npm run bench -- wm-inputs` (about 1 min).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ffmpegBin } from '../src/media/tools';
import { detectFile, embedImageFile, embedVideoFile } from '../src/watermark';
import { FIXTURES_DIR } from '../tests/helpers/fixtures';
import { damageMdat, VFR_30_THEN_15 } from '../tests/helpers/odd-media';

const pexec = promisify(execFile);
const KEY = Buffer.from('6b65792d666f722d7468652d77617465726d61726b2d62656e63682d30303031', 'hex');
const PAYLOAD = '5ca1ab1e0ddba115';
const ff = (args: string[]) => pexec(ffmpegBin(), ['-v', 'error', '-y', ...args], { maxBuffer: 1 << 26 });
const CLIP = path.join(FIXTURES_DIR, 'media', 'short-clip-faces.mp4');
const STILL = path.join(FIXTURES_DIR, 'faces', 'astronaut.png');
const PHOTO = path.join(FIXTURES_DIR, 'faces', 'biden-1.jpg');

type Input = { name: string; file: string; out: string; make: (p: string) => Promise<unknown> };

function inputs(dir: string): Input[] {
  const clip = (name: string, file: string, args: string[]): Input => ({
    name,
    file,
    out: 'mp4',
    make: (p) => ff(['-i', CLIP, '-t', '3', ...args, p]),
  });
  const sound = (name: string, file: string, args: string[]): Input => ({
    name,
    file,
    out: 'm4a',
    make: (p) => ff(['-i', CLIP, '-t', '4', '-vn', ...args, p]),
  });
  const still = (name: string, file: string, args: string[], src = STILL): Input => ({
    name,
    file,
    out: 'png',
    make: (p) => ff(['-i', src, ...args, p]),
  });
  return [
    clip('H.264 10-bit', '10bit.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p10le', '-c:a', 'aac']),
    clip('H.264 4:4:4', '444.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-c:a', 'aac']),
    clip('variable frame rate (30 then 15 fps)', 'vfr.mp4', [
      ...VFR_30_THEN_15,
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
    ]),
    clip('odd size 641x363', 'odd.mp4', ['-vf', 'scale=641:363', '-c:v', 'libx264', '-pix_fmt', 'yuv444p']),
    clip('HEVC', 'hevc.mp4', ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-c:a', 'aac']),
    clip('VP9 + Opus WebM', 'vp9.webm', ['-c:v', 'libvpx-vp9', '-b:v', '1M', '-c:a', 'libopus']),
    clip('ProRes + PCM MOV', 'prores.mov', ['-c:v', 'prores_ks', '-c:a', 'pcm_s16le']),
    clip('anamorphic (SAR 4:3)', 'anamorphic.mp4', ['-vf', 'setsar=4/3', '-c:v', 'libx264', '-c:a', 'aac']),
    clip('two sound tracks', 'two-audio.mp4', ['-map', '0:v', '-map', '0:a', '-map', '0:a', '-c', 'copy']),
    clip('no sound', 'no-audio.mp4', ['-an', '-c:v', 'libx264']),
    {
      name: 'stored sideways, display rotation 90 (phone portrait)',
      file: 'rotated.mp4',
      out: 'mp4',
      make: async (p) => {
        const side = path.join(dir, 'sideways.mp4');
        await ff(['-i', CLIP, '-t', '3', '-vf', 'transpose=1', '-c:v', 'libx264', '-c:a', 'aac', side]);
        await ff(['-i', side, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', p]);
      },
    },
    {
      name: 'flat black picture, silent sound',
      file: 'black.mp4',
      out: 'mp4',
      make: (p) =>
        ff([
          '-f',
          'lavfi',
          '-i',
          'color=black:s=640x360:r=30',
          '-f',
          'lavfi',
          '-i',
          'anullsrc=r=48000:cl=stereo',
          '-t',
          '3',
          '-c:v',
          'libx264',
          '-c:a',
          'aac',
          p,
        ]),
    },
    clip('64x64 (below the minimum)', 'tiny.mp4', ['-vf', 'scale=64:64', '-c:v', 'libx264', '-c:a', 'aac']),
    {
      name: 'damaged (coded media overwritten)',
      file: 'damaged.mp4',
      out: 'mp4',
      make: async (p) => {
        await ff(['-i', CLIP, '-t', '3', '-an', '-c:v', 'libx264', p]);
        damageMdat(p, p, 200, 3);
      },
    },
    {
      name: 'truncated MP4 (first 100 kB)',
      file: 'truncated.mp4',
      out: 'mp4',
      make: async (p) => fs.writeFileSync(p, fs.readFileSync(CLIP).subarray(0, 100_000)),
    },
    { name: 'empty file', file: 'empty.mp4', out: 'mp4', make: async (p) => fs.writeFileSync(p, '') },
    {
      name: 'text named .mp4',
      file: 'text.mp4',
      out: 'mp4',
      make: async (p) => fs.writeFileSync(p, 'hello'),
    },
    sound('sound alone: 6 channels WAV', 'six.wav', ['-ac', '6', '-c:a', 'pcm_s16le']),
    sound('sound alone: 8 kHz mono WAV', '8k.wav', ['-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le']),
    sound('sound alone: 96 kHz 24-bit WAV', '96k.wav', ['-ar', '96000', '-c:a', 'pcm_s24le']),
    sound('sound alone: Opus', 'a.opus', ['-c:a', 'libopus']),
    sound('sound alone: FLAC', 'a.flac', ['-c:a', 'flac']),
    sound('sound alone: Vorbis', 'a.ogg', ['-c:a', 'libvorbis']),
    still('still: WebP', 'still.webp', []),
    still('still: TIFF', 'still.tiff', []),
    still('still: grey PNG', 'grey.png', ['-pix_fmt', 'gray']),
    still('still: 16-bit PNG', 'deep.png', ['-pix_fmt', 'rgb48be']),
    still('still: PNG with alpha', 'alpha.png', ['-pix_fmt', 'rgba']),
    {
      name: 'still: JPEG with EXIF orientation 6',
      file: 'exif.jpg',
      out: 'png',
      make: async (p) => {
        fs.copyFileSync(PHOTO, p);
        fs.chmodSync(p, 0o644);
        await pexec('exiftool', ['-q', '-overwrite_original', '-Orientation=6', '-n', p]);
      },
    },
  ];
}

function codeOf(e: unknown): string {
  const x = e as { code?: unknown; message?: string };
  return typeof x.code === 'string' ? x.code : `uncaught: ${String(x.message).slice(0, 80)}`;
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-inputs-'));
  try {
    console.log('| input | marked | read back (payload, p) | left at the output path | s |');
    console.log('| --- | --- | --- | --- | ---: |');
    let ok = 0,
      refused = 0,
      bad = 0;
    for (const inp of inputs(dir)) {
      const src = path.join(dir, inp.file);
      try {
        await inp.make(src);
      } catch (e) {
        console.log(
          `| ${inp.name} | skipped: could not build it here (${String((e as Error).message).slice(0, 60)}) | - | - | - |`,
        );
        continue;
      }
      const out = path.join(dir, `${inp.file}.marked.${inp.out}`);
      const t = Date.now();
      let marked: string,
        read = '-';
      try {
        const isStill = inp.out === 'png';
        const r = isStill
          ? await embedImageFile(src, out, PAYLOAD, KEY)
          : await embedVideoFile(src, out, PAYLOAD, KEY);
        marked = 'psnrDb' in r && r.psnrDb !== undefined ? `yes (luma ${r.psnrDb.toFixed(1)} dB)` : 'yes';
        const d = await detectFile(out, KEY, { maxSeconds: 3 });
        const good = d.detected && d.payloadHex === PAYLOAD;
        read = `${good ? 'yes' : 'NO'} (${d.pValue.toExponential(1)})`;
        if (good) ok++;
        else bad++;
      } catch (e) {
        const code = codeOf(e);
        marked = `refused: ${code}`;
        if (code.startsWith('uncaught')) bad++;
        else refused++;
      }
      const left = fs
        .readdirSync(dir)
        .filter((f) => f.includes(`${inp.file}.marked`) || f.includes('.partial'));
      const leftOk = marked.startsWith('yes') ? left.length === 1 : left.length === 0;
      if (!leftOk) bad++;
      console.log(
        `| ${inp.name} | ${marked} | ${read} | ${left.length ? left.join(', ') : 'nothing'}${leftOk ? '' : ' (WRONG)'} | ${((Date.now() - t) / 1000).toFixed(1)} |`,
      );
      for (const f of left) fs.rmSync(path.join(dir, f), { force: true });
    }
    console.log(
      `\nmarked and read back: ${ok}; refused with a code: ${refused}; wrong (unread, uncaught or left behind): ${bad}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
