import fs from 'node:fs';
import path from 'node:path';
import { analyseRecording } from '../../../src/consent/analysis';
import { createChallenge } from '../../../src/consent/challenge';
import { Invalid, PayloadTooLarge, UnsupportedMedia } from '../../../src/http/errors';
import { ffmpegBin, runTool } from '../../../src/media/tools';
import { fixture } from '../../helpers/fixtures';
import { workDir } from '../../../bench/consent/attacks';

describe('recordings the analysis refuses before looking at them', () => {
  const dir = workDir('consent-bad-');
  const challenge = createChallenge();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a still image as not a video', async () => {
    await expect(analyseRecording(fixture('faces', 'obama-1.jpg'), challenge)).rejects.toBeInstanceOf(
      UnsupportedMedia,
    );
  });

  it('refuses bytes that are no media at all', async () => {
    const p = path.join(dir, 'notes.mp4');
    fs.writeFileSync(p, 'this is not a video');
    await expect(analyseRecording(p, challenge)).rejects.toBeInstanceOf(UnsupportedMedia);
  });

  it('refuses a video without a sound track', async () => {
    const p = path.join(dir, 'silent.mp4');
    await runTool(ffmpegBin(), [
      '-v',
      'error',
      '-y',
      '-i',
      fixture('selfie', 'talking-b.mp4'),
      '-an',
      '-t',
      '4',
      '-c:v',
      'copy',
      p,
    ]);
    await expect(analyseRecording(p, challenge)).rejects.toMatchObject({ code: 'no_audio' });
    await expect(analyseRecording(p, challenge)).rejects.toBeInstanceOf(Invalid);
  });

  it('refuses a recording longer than 30 s', async () => {
    const p = path.join(dir, 'long.mp4');
    await runTool(ffmpegBin(), [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x64:rate=5',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440',
      '-t',
      '31',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      p,
    ]);
    await expect(analyseRecording(p, challenge)).rejects.toMatchObject({
      code: 'recording_too_long',
      status: 400,
    });
  });

  it('refuses a file over 50 MB without reading it', async () => {
    const p = path.join(dir, 'huge.mp4');
    fs.writeFileSync(p, '');
    fs.truncateSync(p, 51 * 1024 * 1024);
    await expect(analyseRecording(p, challenge)).rejects.toBeInstanceOf(PayloadTooLarge);
  });
});
