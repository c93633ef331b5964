import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../../src/http/app';
import { createLocalBlobStore } from '../../../src/storage/local-blob-store';
import { backends, startTestService, type TestService } from '../../helpers/runtime';

describe.each(backends())('system routes ($name)', (backend) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(backend);
  });
  afterAll(() => svc.close());

  it('answers /healthz and /readyz with the database and queue reachable', async () => {
    await request(svc.app).get('/healthz').expect(200, { status: 'ok' });
    const r = await request(svc.app).get('/readyz').expect(200);
    expect(r.body).toEqual({ status: 'ready', db: true, queue: true });
  });

  it('exposes Prometheus metrics including request durations', async () => {
    await request(svc.app).get('/healthz');
    const r = await request(svc.app).get('/metrics').expect(200);
    expect(r.text).toContain('consentry_http_request_duration_seconds');
    expect(r.text).toContain('process_cpu_seconds_total');
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const r = await request(svc.app).get('/openapi.json').expect(200);
    expect(r.body.openapi).toBe('3.1.0');
    const signUp = r.body.paths['/v1/accounts'].post;
    expect(signUp.requestBody.content['application/json'].schema.properties.handle).toBeDefined();
    expect(signUp.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(r.body.paths['/v1/accounts/{id}/roles'].post.security).toEqual([{ bearer: [] }]);
  });

  it('echoes a caller request id and makes one otherwise; unknown routes are a 404 body', async () => {
    const r = await request(svc.app).get('/nope').set('x-request-id', 'abc-123').expect(404);
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect(r.body.error).toEqual({
      code: 'route_not_found',
      message: 'There is no such route.',
      requestId: 'abc-123',
    });
  });

  it('turns an unknown error into a 500 with a request id and no internals', async () => {
    svc.rt.modules.push({
      name: 'boom',
      routes(api) {
        api.route({ method: 'get', path: '/v1/test-boom', summary: 'x', auth: null }, async () => {
          throw new Error('password=hunter2 at /secret/path');
        });
      },
    });
    const app = createApp(svc.rt);
    svc.rt.modules.pop();
    const r = await request(app).get('/v1/test-boom').expect(500);
    expect(r.body.error.code).toBe('internal_error');
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|secret/);
    expect(r.body.error.requestId).toBe(r.headers['x-request-id']);
  });
});

describe('local blob store', () => {
  it('addresses objects by sha256, writes atomically and reads them back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
    const store = createLocalBlobStore(dir);
    const { key, size } = await store.put(Buffer.from('hello'));
    expect(key).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(size).toBe(5);
    const src = path.join(dir, 'src.bin');
    fs.writeFileSync(src, 'hello');
    expect((await store.put({ path: src })).key).toBe(key);
    expect((await store.read(key)).toString()).toBe('hello');
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await expect(store.read('../../etc/passwd')).rejects.toThrow(/No stored object/);
  });
});

describe('two-command start', () => {
  it('`consentry serve` with no services configured answers /healthz on embedded defaults', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentry-start-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [path.resolve('bin/consentry.js'), 'serve'], {
      env,
      stdio: 'pipe',
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    try {
      const deadline = Date.now() + 150000;
      let ok = false;
      while (Date.now() < deadline && !ok) {
        ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ok) await new Promise((r) => setTimeout(r, 250));
      }
      expect(ok).toBe(true);
      expect(log).toMatch(/"database":"pglite","queue":"in-process"/);
      expect(log).toMatch(/development/);
      expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180000);
});
