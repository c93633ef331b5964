/**
 * The generation pipeline with the built-in model, 10 s 720p (1280x720) clips with one cameo:
 * wall and CPU time per stage, the pipeline's own overhead (everything but the model; goal
 * <= 15 s a clip), and throughput with 1 and 2 workers (worker processes on PostgreSQL + Redis
 * when DATABASE_URL and REDIS_URL are set, else the in-process runner at concurrency 1 and 2).
 * GEN_BENCH_CLIPS (default 2) sets the clips per measurement.
 */
import fs from 'node:fs';
import request from 'supertest';
import {
  backends,
  makeOperator,
  signUp,
  startTestService,
  type Backend,
  type TestService,
} from '../tests/helpers/runtime';
import { seedCameo, waitForStage, type Account } from '../tests/integration/generation/generation-helpers';
import { spawnWorker, type WorkerProcess } from '../tests/integration/generation/worker-process';

const CLIPS = Number(process.env.GEN_BENCH_CLIPS ?? 2);

/** CPU seconds of this process and of its finished children (ffmpeg), from /proc. */
function cpuSeconds(): { self: number; children: number } {
  const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const tick = 100;
  return { self: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}

async function setup(backend: Backend, env: Record<string, string>, startWorker: boolean) {
  const svc = await startTestService(
    backend,
    { CONSENTRY_JWT_TTL_SECONDS: '86400', ...env },
    { startWorker },
  );
  const owner = await signUp(svc.app, ['cameo_owner']);
  const creator = await signUp(svc.app, ['creator']);
  await seedCameo(svc.rt, svc.app, owner, 'obama');
  const op = await makeOperator(svc);
  await request(svc.app)
    .put(`/v1/operator/generation-limits/${creator.id}`)
    .set(op.auth)
    .send({ perMinute: 1000, perDay: 10000, maxActive: 1000 })
    .expect(200);
  return { svc, owner, creator };
}

async function submit(
  svc: TestService,
  creator: Account,
  owner: Account,
  n: number,
  durationSec = 10,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(svc.app)
      .post('/v1/generations')
      .set(creator.auth)
      .send({
        prompt: `@${owner.handle} walking along a sunny beach, take ${i}`,
        durationSec,
        aspect: '16:9',
        seed: 100 + i,
      })
      .expect(202);
    ids.push(r.body.id);
  }
  for (const id of ids) {
    const g = await waitForStage(svc.app, creator.auth, id, ['done', 'refused', 'failed'], 3600000);
    if (g.stage !== 'done')
      throw new Error(`bench clip ended ${g.stage}: ${g.failure ?? g.refusal?.message}`);
  }
  return ids;
}

const fmt = (ms: number) => (ms / 1000).toFixed(1).padStart(7);

export async function run(): Promise<void> {
  const embedded = backends()[0]!;
  const { svc, owner, creator } = await setup(embedded, { CONSENTRY_JOB_CONCURRENCY: '1' }, true);
  try {
    await submit(svc, creator, owner, 1, 2); // warm-up: face models, c2pa engine
    const cpu0 = cpuSeconds();
    const t0 = Date.now();
    const ids = await submit(svc, creator, owner, CLIPS);
    const wall = Date.now() - t0;
    const cpu1 = cpuSeconds();
    const rows = [];
    for (const id of ids) {
      const ev = await svc.rt.db.query<{ details: { timingsMs: Record<string, number> } }>(
        "select details from generation_events where generation_id = $1 and decision = 'delivered'",
        [id],
      );
      rows.push(ev.rows[0]!.details.timingsMs);
    }
    const keys = [
      'policy',
      'consent',
      'rendering',
      'scanning',
      'watermark',
      'watermarkWait',
      'sign',
      'readBack',
      'stamping',
      'deliver',
    ];
    console.log(
      `Per stage, 10 s 1280x720 clips with one cameo, sequential (${CLIPS} clips), wall seconds; load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    );
    console.log(`| ${'stage'.padEnd(14)} | ${ids.map((_, i) => `clip ${i + 1}`.padStart(7)).join(' | ')} |`);
    console.log(`|${'-'.repeat(16)}|${ids.map(() => '-'.repeat(9)).join('|')}|`);
    for (const k of keys) console.log(`| ${k.padEnd(14)} | ${rows.map((r) => fmt(r[k] ?? 0)).join(' | ')} |`);
    const total = rows.map((r) =>
      ['policy', 'consent', 'rendering', 'scanning', 'stamping', 'deliver'].reduce(
        (s, k) => s + (r[k] ?? 0),
        0,
      ),
    );
    console.log(`| ${'total'.padEnd(14)} | ${total.map(fmt).join(' | ')} |`);
    console.log(
      `| ${'overhead'.padEnd(14)} | ${rows.map((r, i) => fmt(total[i]! - (r.rendering ?? 0))).join(' | ')} |`,
    );
    console.log(
      `\nCPU for the ${CLIPS} clips: ${(cpu1.self - cpu0.self).toFixed(1)} s in the node process + ${(cpu1.children - cpu0.children).toFixed(1)} s in ffmpeg/ffprobe; wall ${(wall / 1000).toFixed(1)} s.`,
    );
    console.log(
      '(watermark runs beside the scan; watermarkWait is what stamping still waited for it; readBack = manifest + watermark + fingerprint.)',
    );
  } finally {
    await svc.close();
  }

  const pg = backends().find((b) => b.name === 'postgres' && b.redisUrl);
  console.log(
    `\nThroughput (${CLIPS * 2} clips a run, 10 s 720p), ${pg ? 'worker processes on PostgreSQL + Redis' : 'in-process runner'}:`,
  );
  console.log('| workers | clips | wall s | clips/min |');
  console.log('|---------|-------|--------|-----------|');
  for (const workers of [1, 2]) {
    const s = pg
      ? await setup(pg, {}, false)
      : await setup(embedded, { CONSENTRY_JOB_CONCURRENCY: String(workers) }, true);
    const procs: WorkerProcess[] = pg
      ? Array.from({ length: workers }, () =>
          spawnWorker(s.svc, { CONSENTRY_JOB_CONCURRENCY: '1', LOG_LEVEL: 'error' }),
        )
      : [];
    try {
      await submit(s.svc, s.creator, s.owner, workers, 2); // warm-up of each worker
      const t0 = Date.now();
      await submit(s.svc, s.creator, s.owner, CLIPS * 2);
      const wall = (Date.now() - t0) / 1000;
      console.log(
        `| ${String(workers).padEnd(7)} | ${String(CLIPS * 2).padEnd(5)} | ${wall.toFixed(1).padStart(6)} | ${((CLIPS * 2 * 60) / wall).toFixed(2).padStart(9)} |`,
      );
    } finally {
      for (const p of procs) await p.kill();
      await s.svc.close();
    }
  }
}
