/**
 * Test clips made the way the generation pipeline makes its outputs: an ffmpeg-generated clip,
 * watermarked with embedVideoFile, signed with the service's provenance, then entered in the
 * ledger with its fingerprint. The watermark key is fixed so both backends can share one marked clip.
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { fingerprintMedia, ledgerRepository, newLedgerPayload, probeFile } from '../../../src/ledger';
import { ffmpegBin } from '../../../src/media/tools';
import type { Runtime } from '../../../src/runtime/runtime';
import { embedVideoFile } from '../../../src/watermark';

export const TEST_WATERMARK_KEY_HEX = 'a3'.repeat(32);
export const VERIFY_ENV = {
  CONSENTRY_WATERMARK_KEY: TEST_WATERMARK_KEY_HEX,
  CONSENTRY_RATE_LIMIT_PER_MINUTE: '1000',
};

export function ff(...args: string[]): void {
  execFileSync(ffmpegBin(), ['-v', 'error', '-nostdin', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Note sequences (not held tones), so the audio fingerprint has something to hold on to. */
const MELODY = '0.25*sin(2*PI*(330+110*mod(floor(t*3),7))*t)+0.1*sin(2*PI*(880+55*mod(floor(t*5),4))*t)';
const OTHER_MELODY = '0.3*sin(2*PI*(420+70*mod(floor(t*4),6))*t)';

export function makeSourceClip(
  out: string,
  opts: { w?: number; h?: number; sec?: number; picture?: string; melody?: 'a' | 'b' } = {},
): string {
  const w = opts.w ?? 640;
  const h = opts.h ?? 360;
  const sec = opts.sec ?? 4;
  const pic = opts.picture ?? 'testsrc2';
  const expr = opts.melody === 'b' ? OTHER_MELODY : MELODY;
  ff(
    '-f',
    'lavfi',
    '-i',
    `${pic}=s=${w}x${h}:r=15${pic === 'mandelbrot' ? '' : `:d=${sec}`}`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='${expr}':s=48000:d=${sec}`,
    '-t',
    String(sec),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    out,
  );
  return out;
}

export async function markClip(
  src: string,
  out: string,
  payloadHex = newLedgerPayload(),
): Promise<{ path: string; payloadHex: string }> {
  await embedVideoFile(src, out, payloadHex, Buffer.from(TEST_WATERMARK_KEY_HEX, 'hex'));
  return { path: out, payloadHex };
}

export interface Stamped {
  path: string;
  payloadHex: string;
  generationId: string;
}

/** Signs a marked clip with rt's identity and enters it in rt's ledger, as the pipeline's last stage does. */
export async function signAndRecord(
  rt: Runtime,
  marked: { path: string; payloadHex: string },
  out: string,
): Promise<Stamped> {
  const generationId = crypto.randomUUID();
  await rt.provenance.signFile(marked.path, out, {
    generationId,
    model: { name: 'test-model', version: '1' },
    cameoRefs: [],
    softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: marked.payloadHex },
  });
  const { summary: manifest, storeJson } = await rt.provenance.readFileWithStore(out);
  const probed = await probeFile(out);
  const fingerprint = await fingerprintMedia(out, probed);
  const sha = crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex');
  await rt.db.transaction((tx) =>
    ledgerRepository.insert(tx, {
      payloadHex: marked.payloadHex,
      generationId,
      creatorId: crypto.randomUUID(),
      cameoIds: [],
      contentSha256: sha,
      blobKey: sha,
      mimeType: 'video/mp4',
      durationSec: probed.durationSec ?? 0,
      width: probed.video?.width ?? 0,
      height: probed.video?.height ?? 0,
      manifest,
      manifestStoreJson: storeJson,
      fingerprint,
    }),
  );
  return { path: out, payloadHex: marked.payloadHex, generationId };
}

/** The robustness list of the issue, applied to a stamped clip (ffmpeg drops the C2PA box on re-encode). */
export const TRANSFORMS: Record<string, (src: string, out: string) => void> = {
  'h264-crf30.mp4': (s, o) =>
    ff('-i', s, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-c:a', 'aac', o),
  'half-size.mp4': (s, o) =>
    ff(
      '-i',
      s,
      '-vf',
      'scale=trunc(iw/4)*2:trunc(ih/4)*2',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-c:a',
      'copy',
      o,
    ),
  'crop-middle-60.mp4': (s, o) =>
    ff(
      '-i',
      s,
      '-vf',
      'crop=trunc(iw*0.6/2)*2:trunc(ih*0.6/2)*2',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-c:a',
      'copy',
      o,
    ),
  'first-3s.mp4': (s, o) =>
    ff('-i', s, '-t', '3', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', o),
  'audio-only.m4a': (s, o) => ff('-i', s, '-vn', '-c:a', 'aac', '-b:a', '128k', o),
  'audio-only.mp3': (s, o) => ff('-i', s, '-vn', '-c:a', 'libmp3lame', '-b:a', '128k', o),
  'frame.png': (s, o) => ff('-ss', '1.3', '-i', s, '-frames:v', '1', o),
  'frame.jpg': (s, o) => ff('-ss', '1.1', '-i', s, '-frames:v', '1', '-q:v', '4', o),
};

export function transformed(src: string, dir: string, name: string): string {
  const out = path.join(dir, name);
  if (!fs.existsSync(out)) TRANSFORMS[name](src, out);
  return out;
}

export function upload(app: Express, file: string, filename = path.basename(file)) {
  return request(app).post('/v1/verify').attach('file', file, filename);
}

/** Whatever the verifier left in its temporary folder (it must leave nothing). */
export function leftovers(dataDir: string): string[] {
  const dir = path.join(dataDir, 'tmp', 'verify');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}
