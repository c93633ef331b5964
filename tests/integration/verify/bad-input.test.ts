import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { uploadToServer } from '../../../src/verify/verify-cli';
import { backends, startTestService, type TestService } from '../../helpers/runtime';
import { ff, leftovers, upload, VERIFY_ENV } from './stamp';

jest.setTimeout(300_000);

const LIMIT = 1_500_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-bad-'));
const files: Record<string, string> = {};
beforeAll(() => {
  files.small = path.join(work, 'small.mp4');
  ff(
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=256x144:r=10:d=2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    files.small,
  );
  const bytes = fs.readFileSync(files.small);
  files.truncated = path.join(work, 'truncated.mp4');
  fs.writeFileSync(files.truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  files.empty = path.join(work, 'empty.mp4');
  fs.writeFileSync(files.empty, Buffer.alloc(0));
  // A ZIP archive named like a video: local file header, then bytes.
  files.zip = path.join(work, 'archive.mp4');
  fs.writeFileSync(
    files.zip,
    Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), bytes.subarray(0, 2000)]),
  );
  files.text = path.join(work, 'notes.mov');
  fs.writeFileSync(files.text, 'These are not the frames you are looking for.\n'.repeat(20));
  files.big = path.join(work, 'big.mp4');
  fs.writeFileSync(files.big, Buffer.concat([bytes.subarray(0, 32), Buffer.alloc(LIMIT + 100_000, 7)]));
  // Five minutes and a bit of near-silence, small enough to be under the size limit.
  files.long = path.join(work, 'long.mp3');
  ff(
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=a=0.01:r=8000:d=320',
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '8k',
    files.long,
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(backends())('bad uploads to POST /v1/verify ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend, { ...VERIFY_ENV, CONSENTRY_UPLOAD_LIMIT_BYTES: String(LIMIT) });
  });
  afterAll(() => svc.close());
  afterEach(() => expect(leftovers(svc.dataDir)).toEqual([]));

  it.each([
    ['empty', 400, 'media_empty', /empty/],
    ['zip', 415, 'media_archive', /ZIP archive/],
    ['truncated', 400, 'media_truncated', /truncated/],
    ['text', 415, 'media_unsupported', /not a supported video/],
    ['big', 413, 'media_too_large', /limit/],
    ['long', 413, 'media_too_long', /5 minutes/],
  ])('refuses the %s file with %i and a sentence', async (which, status, code, message) => {
    const r = await upload(svc.app, files[which]);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toMatch(message);
  });

  it('refuses a body that is not multipart, and a multipart body without the file field', async () => {
    const json = await request(svc.app).post('/v1/verify').send({ file: 'x' });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('multipart_required');
    const noFile = await request(svc.app).post('/v1/verify').field('note', 'no file here');
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.code).toBe('file_missing');
  });

  it('removes the temporary file of an upload the client abandons half way', async () => {
    const server = svc.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const sock = net.connect(port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      const boundary = 'xyzboundary';
      sock.write(
        `POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 900000\r\n\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
      );
      sock.write(Buffer.alloc(200_000, 1));
      // The server has started writing the temporary file...
      for (let i = 0; i < 50 && leftovers(svc.dataDir).length === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(leftovers(svc.dataDir).length).toBe(1);
      sock.destroy();
      // ...and removes it once the client is gone.
      for (let i = 0; i < 50 && leftovers(svc.dataDir).length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('accepts a small valid clip under the same limits', async () => {
    const r = await upload(svc.app, files.small).expect(200);
    expect(r.body.verdict).toBe('no_evidence');
  });

  it('streams analysis progress as NDJSON on request, ending with the same report', async () => {
    const r = await request(svc.app)
      .post('/v1/verify?progress=ndjson')
      .attach('file', files.small)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done(null, text));
      })
      .expect(200);
    expect(r.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = (r.body as string)
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { type: string; stage?: string; fraction?: number; report?: { verdict: string } },
      );
    const progress = lines.filter((l) => l.type === 'progress');
    expect(progress.map((l) => l.stage)).toEqual(expect.arrayContaining(['analysing', 'ledger', 'done']));
    const fractions = progress.filter((l) => l.stage === 'analysing').map((l) => l.fraction!);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatchObject({ type: 'result', report: { verdict: 'no_evidence' } });
  });

  it('lets the command line verify against a server, reporting the streamed progress', async () => {
    const server = svc.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const seen: string[] = [];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const report = await uploadToServer(url, files.small, (stage) => seen.push(stage));
      expect(report.verdict).toBe('no_evidence');
      expect(seen).toEqual(expect.arrayContaining(['probing', 'analysing', 'ledger', 'done']));
      // --whole asks the server for every signal (scope=whole): the fingerprint is always computed.
      const whole = await uploadToServer(url, files.small, () => undefined, { whole: true });
      expect(whole.evidence.fingerprint.checked).toBe(true);
      await expect(uploadToServer(url, files.zip, () => undefined)).rejects.toMatchObject({
        code: 'media_archive',
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('still answers a refused upload with its own 4xx when progress is requested', async () => {
    const r = await request(svc.app).post('/v1/verify?progress=ndjson').attach('file', files.zip).expect(415);
    expect(r.body.error.code).toBeTruthy();
    await request(svc.app).post('/v1/verify?progress=xml').attach('file', files.small).expect(400);
  });
});

describe.each(backends())('rate limit of POST /v1/verify ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend, { ...VERIFY_ENV, CONSENTRY_RATE_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(() => svc.close());

  it('answers 429 with Retry-After once a client passes its per-minute allowance', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await upload(svc.app, files.empty)).status);
    // Two requests spend the allowance (the empty file is refused with 400), the third is limited.
    expect(codes.slice(0, 2)).toEqual([400, 400]);
    expect(codes[2]).toBe(429);
    const r = await upload(svc.app, files.empty);
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(leftovers(svc.dataDir)).toEqual([]);
  });
});
