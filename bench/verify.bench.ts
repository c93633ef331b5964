/**
 * Verification of a 10 s 720p clip (goal: at most 2 s) and 20 concurrent uploads of 10 s clips
 * through HTTP. VERIFY_BENCH_CONCURRENCY changes the load size.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../src/config/config';
import { createApp } from '../src/http/app';
import { fingerprintMedia, ledgerRepository, newLedgerPayload } from '../src/ledger';
import { ISSUED_SCAN_LIMIT } from '../src/watermark/issued-match';
import { ffmpegBin, runTool } from '../src/media/tools';
import { createRuntime } from '../src/runtime/runtime';
import { uploadToServer } from '../src/verify/verify-cli';
import { detectFile, embedVideoFile } from '../src/watermark';
import { fixture } from '../tests/helpers/fixtures';

const ff = (args: string[]) =>
  runTool(ffmpegBin(), ['-v', 'error', '-nostdin', '-y', ...args], { timeoutMs: 600_000 });

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, v];
}

/**
 * Wall time of fn and the longest the event loop was held while it ran: the thread that runs fn
 * also answers every other HTTP request, so a long hold delays them all.
 */
async function timedWithStall<T>(fn: () => Promise<T>): Promise<[number, number, T]> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const [ms, v] = await timed(fn);
    return [ms, h.max / 1e6, v];
  } finally {
    h.disable();
  }
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'silent',
    CONSENTRY_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const rt = await createRuntime(config, { logger: pino({ level: 'silent' }) });
  const server = createApp(rt).listen(0, '127.0.0.1');
  try {
    const src = path.join(dir, 'source.mp4');
    await ff([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=1280x720:r=30:d=10',
      '-f',
      'lavfi',
      '-i',
      "aevalsrc='0.25*sin(2*PI*(330+110*mod(floor(t*3),7))*t)':s=48000:d=10",
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      src,
    ]);
    const plain = path.join(dir, 'plain.mp4');
    await ff([
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=1280x720:r=30:d=10',
      '-f',
      'lavfi',
      '-i',
      'sine=f=500:d=10',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      plain,
    ]);
    const payloadHex = newLedgerPayload();
    const marked = path.join(dir, 'marked.mp4');
    const [embedMs] = await timed(() => embedVideoFile(src, marked, payloadHex, rt.secrets.watermarkKey));
    const signed = path.join(dir, 'signed.mp4');
    const generationId = crypto.randomUUID();
    await rt.provenance.signFile(marked, signed, {
      generationId,
      model: { name: 'bench', version: '1' },
      cameoRefs: [],
      softBinding: { alg: 'com.consentry.watermark.v1', payloadHex },
    });
    const manifest = await rt.provenance.readFile(signed);
    const [fpMs, fingerprint] = await timed(() => fingerprintMedia(signed));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(signed)).digest('hex');
    await rt.db.transaction((tx) =>
      ledgerRepository.insert(tx, {
        payloadHex,
        generationId,
        creatorId: 'bench',
        cameoIds: [],
        contentSha256: sha,
        blobKey: sha,
        mimeType: 'video/mp4',
        durationSec: 10,
        width: 1280,
        height: 720,
        manifest,
        manifestStoreJson: null,
        fingerprint,
      }),
    );
    const crf30 = path.join(dir, 'crf30.mp4');
    await ff(['-i', signed, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-c:a', 'aac', crf30]);

    console.log(
      `Stamping for the bench: watermark embed ${Math.round(embedMs)} ms, fingerprint ${Math.round(fpMs)} ms (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores).\n`,
    );
    console.log('Parts of one verification of the 10 s 720p stamped clip (run alone):\n');
    console.log('| part | ms |\n| --- | ---: |');
    const [readMs] = await timed(() => rt.provenance.readFile(signed));
    const [detMs] = await timed(() => detectFile(signed, rt.secrets.watermarkKey, { maxSeconds: 12 }));
    const [fp2Ms] = await timed(() => fingerprintMedia(crf30));
    const [lookMs] = await timed(() => ledgerRepository.nearestByFingerprint(rt.db, fingerprint));
    console.log(
      `| Content Credentials read | ${Math.round(readMs)} |\n| watermark detect | ${Math.round(detMs)} |\n| fingerprint | ${Math.round(fp2Ms)} |\n| ledger fingerprint lookup | ${Math.round(lookMs)} |`,
    );

    // The matched test at the largest ledger the verifier scans (issued-match.ts), on clips that
    // carry no mark: every reading that offers evidence is matched against every identifier.
    const issued = Array.from({ length: ISSUED_SCAN_LIMIT }, () => newLedgerPayload());
    console.log(
      '\nWatermark detection of clips never made here (whole clip read), and how long it held the event loop (the thread that answers HTTP):\n',
    );
    console.log(
      '| clip | ledger scanned by the matched test | readings matched | ms | longest event-loop hold ms |\n| --- | --- | ---: | ---: | ---: |',
    );
    for (const [name, file] of [
      ['10 s 720p test pattern', plain],
      ['short-clip-faces.mp4 (640x360, 7.8 s, speech)', fixture('media', 'short-clip-faces.mp4')],
      ['selfie/talking-a.mp4 (512x512, 10 s, speech)', fixture('selfie', 'talking-a.mp4')],
    ] as const)
      for (const scan of [false, true]) {
        let readings = 0;
        const [ms, stall] = await timedWithStall(() =>
          detectFile(file, rt.secrets.watermarkKey, {
            maxSeconds: 12,
            issuedScan: scan
              ? async () => {
                  readings++;
                  return { payloads: issued, issuedCount: issued.length };
                }
              : undefined,
          }),
        );
        console.log(
          `| ${name} | ${scan ? issued.length.toLocaleString('en') : 'none'} | ${scan ? readings : '-'} | ${Math.round(ms)} | ${Math.round(stall)} |`,
        );
      }

    console.log('\nWhole verification, in process (goal: at most 2000 ms for a 10 s 720p clip):\n');
    console.log(
      '| file | verdict | matched by | ms | longest event-loop hold ms |\n| --- | --- | --- | ---: | ---: |',
    );
    for (const [name, file] of [
      ['signed output', signed],
      ['re-encoded CRF 30 (manifest stripped)', crf30],
      ['never made here', plain],
    ] as const) {
      const [ms, stall, r] = await timedWithStall(() => rt.verify.verifyFile(file, { name }));
      console.log(
        `| ${name} | ${r.verdict} | ${r.evidence.ledger.matchedBy ?? '-'} | ${Math.round(ms)} | ${Math.round(stall)} |`,
      );
    }

    const n = Number(process.env.VERIFY_BENCH_CONCURRENCY ?? 20);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Another client's cheap request while the uploads are analysed: how long it waits.
    const probes: number[] = [];
    let loading = true;
    const probing = (async () => {
      while (loading) {
        const s = Date.now();
        await fetch(`${base}/healthz`);
        probes.push(Date.now() - s);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const file = i % 2 ? plain : crf30;
        const s = Date.now();
        try {
          const r = await uploadToServer(base, file, () => undefined);
          return {
            ok: true,
            ms: Date.now() - s,
            verdict: r.verdict,
            expected: i % 2 ? 'no_evidence' : 'generated_here',
          };
        } catch (e) {
          return { ok: false, ms: Date.now() - s, verdict: (e as Error).message, expected: '' };
        }
      }),
    );
    const wall = Date.now() - t0;
    loading = false;
    await probing;
    const lat = results.map((r) => r.ms);
    const errors = results.filter((r) => !r.ok).length;
    const wrong = results.filter((r) => r.ok && r.verdict !== r.expected).length;
    console.log(
      `\n${n} concurrent uploads of 10 s 720p clips (half stamped and re-encoded, half plain) over HTTP:\n`,
    );
    console.log(
      '| uploads | errors | wrong verdicts | wall s | p50 s | p95 s | max s | throughput clips/min |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    console.log(
      `| ${n} | ${errors} | ${wrong} | ${(wall / 1000).toFixed(1)} | ${(pct(lat, 50) / 1000).toFixed(1)} | ${(pct(lat, 95) / 1000).toFixed(1)} | ${(Math.max(...lat) / 1000).toFixed(1)} | ${((n / wall) * 60000).toFixed(1)} |`,
    );
    console.log(
      `\n/healthz asked every 50 ms by another client during that load: ${probes.length} answers, p50 ${pct(probes, 50)} ms, p95 ${pct(probes, 95)} ms, max ${Math.max(...probes)} ms.`,
    );
  } finally {
    await new Promise((r) => server.close(r));
    await rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
