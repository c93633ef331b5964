import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectFaces, faceDistance, SAME_PERSON_MAX_DISTANCE } from '../../../src/faces';
import { ffmpegBin, runTool } from '../../../src/media/tools';
import { createLocalModel, probeClip } from '../../../src/models';
import { fixture } from '../../helpers/fixtures';

async function frameHash(file: string): Promise<string> {
  const { stdout } = await runTool(
    ffmpegBin(),
    ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray', '-vf', 'scale=96:96', 'pipe:1'],
    {
      maxStdoutBytes: 64 << 20,
    },
  );
  return crypto.createHash('sha256').update(stdout).digest('hex');
}

describe('the built-in local model', () => {
  const model = createLocalModel();
  let dir: string;
  const face = fs.readFileSync(fixture('faces', 'obama-1.jpg'));
  const req = (seed: number) => ({
    prompt: 'a calm walk in the forest',
    durationSec: 2,
    width: 720,
    height: 720,
    seed,
    cameos: [{ cameoId: 'c1', referenceImageJpeg: face }],
    referenceImages: [],
  });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-model-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renders an H.264/AAC MP4 of the requested size and length, reporting progress', async () => {
    const progress: number[] = [];
    const out = await model.render(
      { ...req(1), width: 1280, height: 720, durationSec: 3 },
      { workDir: path.join(dir, 'a'), onProgress: (p) => progress.push(p) },
    );
    const p = await probeClip(out.path);
    expect(p.formatNames).toContain('mp4');
    expect(p.video).toEqual({ codec: 'h264', width: 1280, height: 720 });
    expect(p.audio).toEqual({ codec: 'aac' });
    expect(Math.abs(p.durationSec - 3)).toBeLessThan(0.1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBeCloseTo(1, 1);
  });

  it('gives the same bytes for the same seed and different frames for another seed', async () => {
    const a = await model.render(req(5), { workDir: path.join(dir, 'b') });
    const b = await model.render(req(5), { workDir: path.join(dir, 'c') });
    const c = await model.render(req(6), { workDir: path.join(dir, 'd') });
    const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    expect(hash(a.path)).toBe(hash(b.path));
    expect(await frameHash(a.path)).toBe(await frameHash(b.path));
    expect(await frameHash(a.path)).not.toBe(await frameHash(c.path));
  });

  it("composites the cameo's reference face so that the face module recognises that person", async () => {
    const out = await model.render(req(9), { workDir: path.join(dir, 'e') });
    const { stdout } = await runTool(ffmpegBin(), [
      '-v',
      'error',
      '-ss',
      '1',
      '-i',
      out.path,
      '-frames:v',
      '1',
      '-f',
      'image2',
      '-c:v',
      'png',
      'pipe:1',
    ]);
    const [inClip] = await detectFaces(stdout, { detector: 'ssd' });
    const [inPhoto] = await detectFaces(face, { detector: 'ssd' });
    expect(inClip).toBeDefined();
    expect(faceDistance(inClip!.descriptor, inPhoto!.descriptor)).toBeLessThanOrEqual(
      SAME_PERSON_MAX_DISTANCE,
    );
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    const p = model.render(
      { ...req(3), durationSec: 10, width: 1280 },
      { workDir: path.join(dir, 'f'), signal: ac.signal },
    );
    setTimeout(() => ac.abort(new Error('cancelled by test')), 300);
    await expect(p).rejects.toThrow('cancelled by test');
  });
});
