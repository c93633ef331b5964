import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegBin } from '../../../src/media/tools';
import { detectFile, embedVideoFile } from '../../../src/watermark';
import { DECODED_WORD_P_THRESHOLD } from '../../../src/watermark/issued-match';
import { fixture } from '../../helpers/fixtures';

// The robustness bench's key: under it these two payloads sit where the list test falls short.
const key = Buffer.from('6b65792d666f722d7468652d77617465726d61726b2d62656e63682d30303031', 'hex');
const ff = (args: string[]) => execFileSync(ffmpegBin(), ['-v', 'error', '-y', ...args]);
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-word-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** talking-a (512x512) marked, then 3 s of it cropped to half its area at an offset and re-encoded at CRF 30. */
async function croppedAtCrf30(payload: string): Promise<string> {
  const marked = path.join(dir, `marked-${payload}.mp4`);
  await embedVideoFile(fixture('selfie', 'talking-a.mp4'), marked, payload, key);
  const out = path.join(dir, `crop30-${payload}.mp4`);
  ff([
    '-i',
    marked,
    '-t',
    '3',
    '-vf',
    'crop=trunc(iw*0.3536)*2:trunc(ih*0.3536)*2:iw*0.2:ih*0.3',
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '30',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

describe('the decoded-word test on a real clip', () => {
  // Sync z 6.9 with a CRC-valid path: the list test's p is 1.1e-8.
  it('reads by the code alone a cropped and re-encoded clip whose sync, with its CRC, falls short of 1e-9', async () => {
    const d = await detectFile(await croppedAtCrf30('a5a5a5a5c3c3c3c3'), key, { maxSeconds: 3 });
    expect(d).toMatchObject({ detected: true, payloadHex: 'a5a5a5a5c3c3c3c3', decidedBy: 'code' });
    expect(d.pValue).toBeLessThanOrEqual(DECODED_WORD_P_THRESHOLD);
  });

  // No path of the 64-deep lists passes its CRC; the true word is found 783rd of a deeper list.
  it('searches the lists deeper when the sync stands out and no path passes, and decides on the word found there', async () => {
    const d = await detectFile(await croppedAtCrf30('0123456789abcdef'), key, { maxSeconds: 3 });
    expect(d).toMatchObject({ detected: true, payloadHex: '0123456789abcdef', decidedBy: 'code' });
    expect(d.pValue).toBeLessThanOrEqual(DECODED_WORD_P_THRESHOLD);
  });
});
