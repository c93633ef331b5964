import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createHttpModel,
  createLocalModel,
  httpRenderRequestSchema,
  ModelOutputRejected,
} from '../../../src/models';
import { fixture } from '../../helpers/fixtures';

/**
 * A small model server: renders with the built-in model (so its answers are real MP4s), and can be
 * told to misbehave (wrong size, too slow, not a video, huge) to test the adapter's distrust.
 */
function startServer(mode: { current: string }, token: string) {
  const local = createLocalModel();
  const seen: unknown[] = [];
  const server = http.createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = httpRenderRequestSchema.parse(JSON.parse(Buffer.concat(chunks).toString()));
    seen.push(body);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-srv-'));
    try {
      if (mode.current === 'slow') await new Promise((r) => setTimeout(r, 3000));
      if (mode.current === 'garbage') {
        res.writeHead(200, { 'content-type': 'video/mp4' }).end(Buffer.alloc(5000, 7));
        return;
      }
      if (mode.current === 'huge') {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024));
        res.end();
        return;
      }
      const size =
        mode.current === 'wrong-size'
          ? { width: 640, height: 360 }
          : { width: body.width, height: body.height };
      const out = await local.render(
        {
          prompt: body.prompt,
          durationSec: body.durationSec,
          ...size,
          seed: body.seed,
          cameos: body.cameos.map((c) => ({
            cameoId: c.ref,
            referenceImageJpeg: Buffer.from(c.referenceImageJpegBase64, 'base64'),
          })),
          referenceImages: [],
        },
        { workDir: dir },
      );
      const bytes = fs.readFileSync(out.path);
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(bytes.length) }).end(bytes);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return new Promise<{ url: string; seen: unknown[]; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        seen,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

describe('the HTTP model adapter against a model server', () => {
  const mode = { current: 'ok' };
  let srv: Awaited<ReturnType<typeof startServer>>;
  let dir: string;
  const req = {
    prompt: 'a calm lake',
    durationSec: 2,
    width: 720,
    height: 720,
    seed: 4,
    cameos: [],
    referenceImages: [],
  };

  beforeAll(async () => {
    srv = await startServer(mode, 'secret-token');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'http-model-'));
  });
  afterAll(async () => {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (mode.current = 'ok'));

  const model = (o: Partial<{ token: string; timeoutMs: number; maxBytes: number }> = {}) =>
    createHttpModel({
      url: srv.url,
      token: o.token ?? 'secret-token',
      timeoutMs: o.timeoutMs ?? 60000,
      maxBytes: o.maxBytes,
    });

  it('accepts a valid clip and sends the request with bearer credentials', async () => {
    const out = await model().render(req, { workDir: path.join(dir, 'ok') });
    expect(fs.statSync(out.path).size).toBeGreaterThan(1000);
    expect(srv.seen.at(-1)).toMatchObject({ prompt: 'a calm lake', width: 720, height: 720, seed: 4 });
  });

  it("passes each cameo's written rules to the model server, by opaque cameo id", async () => {
    const face = fs.readFileSync(fixture('faces', 'obama-1.jpg'));
    await model().render(
      { ...req, cameos: [{ cameoId: 'c-1', referenceImageJpeg: face, rules: ['never shown drinking'] }] },
      { workDir: path.join(dir, 'rules') },
    );
    expect(srv.seen.at(-1)).toMatchObject({ cameos: [{ ref: 'c-1', rules: ['never shown drinking'] }] });
  });

  it('refuses a clip of the wrong size', async () => {
    mode.current = 'wrong-size';
    await expect(model().render(req, { workDir: path.join(dir, 'ws') })).rejects.toThrow(
      /640x360, not the requested 720x720/,
    );
  });

  it('refuses bytes that are not a video', async () => {
    mode.current = 'garbage';
    await expect(model().render(req, { workDir: path.join(dir, 'g') })).rejects.toBeInstanceOf(
      ModelOutputRejected,
    );
  });

  it('cuts off a response over the size limit', async () => {
    mode.current = 'huge';
    await expect(
      model({ maxBytes: 1024 * 1024 }).render(req, { workDir: path.join(dir, 'h') }),
    ).rejects.toThrow(/limit/);
  });

  it('gives up when the server is slower than the timeout', async () => {
    mode.current = 'slow';
    await expect(model({ timeoutMs: 1000 }).render(req, { workDir: path.join(dir, 's') })).rejects.toThrow(
      /within 1000 ms/,
    );
  });

  it('reports refused credentials as a permanent rejection', async () => {
    await expect(model({ token: 'wrong' }).render(req, { workDir: path.join(dir, 'c') })).rejects.toThrow(
      /refused our credentials/,
    );
  });
});
