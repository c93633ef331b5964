import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import type { Challenge } from '../../../src/consent/challenge';
import { ffmpegBin, runTool } from '../../../src/media/tools';
import { fixture } from '../../helpers/fixtures';

export const TALKING_B = fixture('selfie', 'talking-b.mp4');
export const TALKING_A = fixture('selfie', 'talking-a.mp4');

/**
 * The challenge talking-b.mp4 answers. Head turns as measured by the analysis engine's author
 * (bench/consent): to his left around 1.4-1.9 s, to his right around 3.1-3.5 s, to his left again at
 * 6.5-6.9 s. The code window is where Silero VAD hears him clearly (0.5-1.2 s); the
 * digits cannot match what he says (no recogniser checks them, see src/consent/analysis/digits.ts).
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
    code: { digits: '418207', window: { startSec: 0.5, endSec: 1.4 } },
    durationSec: 7.3,
  };
}

/** The same footage mirrored: the person's left turns become right turns. */
export function mirroredTalkingBChallenge(): Challenge {
  const c = talkingBChallenge();
  return {
    ...c,
    id: 'fixture-talking-b-mirrored',
    turns: c.turns.map((t) => ({ ...t, direction: t.direction === 'left' ? 'right' : 'left' })),
  };
}

export function workDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'consent-it-'));
}

export async function ff(args: string[]): Promise<void> {
  await runTool(ffmpegBin(), ['-v', 'error', '-y', ...args], { timeoutMs: 120000 });
}

/** A synthetic clip (test pattern and a tone) of the given length, small and quick to make. */
export async function syntheticClip(
  dir: string,
  seconds: number,
  opts: { audio?: boolean; name?: string } = {},
): Promise<string> {
  const out = path.join(
    dir,
    opts.name ?? `synthetic-${seconds}-${opts.audio === false ? 'mute' : 'sound'}.mp4`,
  );
  const audio = opts.audio === false ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`];
  await ff([
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=96x96:rate=10:duration=${seconds}`,
    ...audio,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    ...(opts.audio === false ? ['-an'] : ['-c:a', 'aac', '-b:a', '32k', '-shortest']),
    out,
  ]);
  return out;
}

/** A WebM (VP8 + Opus) written as a live stream, as a browser's MediaRecorder writes it: no duration in the header. */
export async function liveWebm(dir: string, source: string): Promise<string> {
  const out = path.join(dir, `${path.basename(source, path.extname(source))}-live.webm`);
  await ff([
    '-i',
    source,
    '-c:v',
    'libvpx',
    '-b:v',
    '1M',
    '-deadline',
    'realtime',
    '-c:a',
    'libopus',
    '-f',
    'webm',
    '-live',
    '1',
    out,
  ]);
  return out;
}

export async function mirrored(dir: string, source: string): Promise<string> {
  const out = path.join(dir, `${path.basename(source, path.extname(source))}-mirrored.mp4`);
  await ff([
    '-i',
    source,
    '-vf',
    'hflip',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-c:a',
    'copy',
    out,
  ]);
  return out;
}

/** A re-encode (new bytes, same content): the perceptual fingerprint must still see the copy. */
export async function reencoded(dir: string, source: string): Promise<string> {
  const out = path.join(dir, `${path.basename(source, path.extname(source))}-reencoded.mp4`);
  await ff([
    '-i',
    source,
    '-vf',
    'scale=448:448',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '28',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    out,
  ]);
  return out;
}

type Auth = { authorization: string };

export async function startEnrollment(
  app: Express,
  auth: Auth,
): Promise<{ id: string; challenge: Challenge; expiresAt: string }> {
  const r = await request(app).post('/v1/cameos/enrollments').set(auth);
  if (r.status !== 201) throw new Error(`enrollment start answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export function uploadFile(app: Express, auth: Auth, id: string, file: string, type = 'video/mp4') {
  return request(app)
    .post(`/v1/cameos/enrollments/${id}/recording`)
    .set(auth)
    .set('content-type', type)
    .send(fs.readFileSync(file));
}

/** Polls the enrollment until the analysis has decided. */
export async function waitForVerdict(app: Express, auth: Auth, id: string, timeoutMs = 90000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(app).get(`/v1/cameos/enrollments/${id}`).set(auth);
    // In tests the analysis job runs in this same process; its model inference can hold the event
    // loop past Node's 60 s header timeout on a loaded machine, and Node then answers 408: ask again.
    if (r.status === 408) continue;
    if (r.status !== 200) throw new Error(`polling answered ${r.status}: ${JSON.stringify(r.body)}`);
    if (r.body.status !== 'pending') return r.body;
    if (Date.now() > until) throw new Error(`enrollment ${id} still pending after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 300));
  }
}
