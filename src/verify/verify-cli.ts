/**
 * `consentry verify FILE...`: the same verification as POST /v1/verify, in-process (a runtime on
 * this machine's configuration: its database holds the ledger) or against a running service.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Command } from 'commander';
import { isAppError } from '../http/errors';
import { withRuntime } from '../cli/runtime-command';
import type { z } from 'zod';
import { verifyStreamLineSchema, type VerifyReport } from './verify-schemas';
import type { ProgressFn } from './verify-service';

export const EXIT = { generatedHere: 0, noEvidence: 1, tampered: 2, error: 3 } as const;

const HELP = `
Exit codes (the worst over all files):
  0  every file was generated here
  1  no evidence it was generated here (including AI-generated elsewhere)
  2  a file's Content Credentials were tampered with
  3  an error (unreadable file, refused upload, server unreachable)

Without --server the verification runs in this process against the database configured by
DATABASE_URL / DATA_DIR (the service's own ledger); with --server it uploads to POST /v1/verify.`;

type Outcome =
  { file: string; report: VerifyReport } | { file: string; error: { code: string; message: string } };

function exitFor(o: Outcome): number {
  if ('error' in o) return EXIT.error;
  if (o.report.verdict === 'generated_here') return EXIT.generatedHere;
  if (o.report.verdict === 'tampered') return EXIT.tampered;
  return EXIT.noEvidence;
}

class Bar {
  private last = '';
  constructor(private readonly label: string) {}
  update(fraction: number, stage: string): void {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    if (process.stderr.isTTY) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${this.label} ${stage.padEnd(12)}`,
      );
    } else if (stage !== this.last) {
      process.stderr.write(`${this.label}: ${stage}\n`);
    }
    this.last = stage;
  }
  done(): void {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  }
}

const VERDICT_WORDS: Record<string, string> = {
  generated_here: 'GENERATED HERE',
  ai_generated_elsewhere: 'AI-GENERATED ELSEWHERE',
  no_evidence: 'NO EVIDENCE OF GENERATION HERE',
  tampered: 'TAMPERED',
};

export function summary(file: string, r: VerifyReport): string {
  const e = r.evidence;
  const m = e.manifest;
  const w = e.watermark;
  const lines = [
    `${file}: ${VERDICT_WORDS[r.verdict]} (confidence ${Math.round(r.confidence * 100)}%)`,
    `  ${r.explanation}`,
  ];
  lines.push(
    `  Content Credentials: ${!m.supported ? 'not readable for this format' : !m.present ? 'none' : `${m.verdict}${m.signer ? `, signed by ${m.signer.subject}` : ''}${m.signedByThisService ? ' (this service)' : ''}${m.generationId ? `, generation ${m.generationId}` : ''}`}`,
  );
  const segs =
    w.video?.segments
      .filter((s) => s.detected)
      .map((s) => `${s.startSec.toFixed(1)}-${s.endSec.toFixed(1)} s`) ?? [];
  lines.push(
    `  Watermark: ${!w.checked ? `not checked (${w.reason})` : w.detected ? `found (p=${(w.pValue ?? 1).toExponential(1)})${segs.length ? ` in ${segs.join(', ')}` : ''}; sound: ${w.audio ? (w.audio.detected ? 'found' : 'not found') : w.note ? 'not analysed' : 'none'}${w.note ? `. ${w.note}` : ''}` : `not found${w.reason ? ` (${w.reason})` : ''}`}`,
  );
  const l = e.ledger;
  lines.push(
    `  Ledger: ${l.found ? `generation ${l.generationId}, made ${l.createdAt}, matched by ${l.matchedBy}${l.takenDown ? `, TAKEN DOWN ${l.takenDownAt}` : ''}` : 'no entry'}`,
  );
  const f = e.fingerprint;
  lines.push(
    `  Fingerprint: ${!f.checked ? (f.note ?? 'not computed') : f.matched ? `${f.strong ? 'strong' : 'weak'} match, ${f.matchedFrames}/${f.queryFrames} frames, ${f.matchedAudio}/${f.queryAudio} audio` : 'no match'}`,
  );
  return lines.join('\n');
}

/** Uploads one file as multipart/form-data, streaming it and reporting upload progress. */
export function uploadToServer(
  server: string,
  file: string,
  onProgress: ProgressFn,
  opts: { whole?: boolean } = {},
): Promise<VerifyReport> {
  const url = new URL(`/v1/verify?progress=ndjson${opts.whole ? '&scope=whole' : ''}`, server);
  const size = fs.statSync(file).size;
  const boundary = `----consentry${crypto.randomBytes(12).toString('hex')}`;
  const name = path.basename(file).replace(/["\r\n]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
      },
      (res) => {
        if (res.statusCode === 200 && /ndjson/.test(String(res.headers['content-type']))) {
          readProgressStream(res, onProgress).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return reject(
              Object.assign(new Error(`The server answered ${res.statusCode} without JSON.`), {
                code: 'bad_response',
              }),
            );
          }
          if (res.statusCode === 200) return resolve(body as VerifyReport);
          const err = (body as { error?: { code?: string; message?: string } }).error;
          reject(
            Object.assign(new Error(err?.message ?? `The server answered ${res.statusCode}.`), {
              code: err?.code ?? `http_${res.statusCode}`,
            }),
          );
        });
      },
    );
    req.on('error', (e) =>
      reject(Object.assign(new Error(`Cannot reach ${url.origin}: ${e.message}.`), { code: 'unreachable' })),
    );
    req.write(head);
    let sent = 0;
    const rs = fs.createReadStream(file);
    rs.on('data', (c) => {
      sent += c.length;
      onProgress('probing', sent / size);
      if (!req.write(c)) {
        rs.pause();
        req.once('drain', () => rs.resume());
      }
    });
    rs.on('end', () => {
      req.end(tail);
      onProgress('analysing', 0);
    });
    rs.on('error', (e) => req.destroy(e));
  });
}

/** Reads the server's NDJSON progress lines until the result (or the error) line. */
async function readProgressStream(res: http.IncomingMessage, onProgress: ProgressFn): Promise<VerifyReport> {
  let buf = '';
  let outcome: z.infer<typeof verifyStreamLineSchema> | null = null;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf += chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!text.trim()) continue;
      const parsed = verifyStreamLineSchema.safeParse(JSON.parse(text));
      if (!parsed.success) continue;
      const l = parsed.data;
      if (l.type === 'progress') {
        if (l.stage === 'analysing' || l.stage === 'ledger' || l.stage === 'done')
          onProgress(l.stage, l.fraction);
      } else outcome = l;
    }
  }
  if (outcome?.type === 'result') return outcome.report;
  if (outcome?.type === 'error')
    throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  throw Object.assign(new Error('The server ended the answer before the result.'), { code: 'bad_response' });
}

export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description(
      'Verify whether files were generated by this service (Content Credentials, watermark, ledger)',
    )
    .argument('<files...>', 'video, image or audio files')
    .option('--json', 'print one JSON report per file (an array) on stdout')
    .option('--server <url>', 'verify through a running service instead of in this process')
    .option('--whole', 'read the whole clip and compute every signal, even when the first seconds settle it')
    .addHelpText('after', HELP)
    .action(async (files: string[], o: { json?: boolean; server?: string; whole?: boolean }) => {
      const outcomes: Outcome[] = [];
      const run = async (verifyOne: (file: string, progress: ProgressFn) => Promise<VerifyReport>) => {
        for (const file of files) {
          const bar = new Bar(path.basename(file));
          const progress: ProgressFn = (stage, fraction) => {
            const overall = o.server
              ? stage === 'probing'
                ? 0.5 * fraction
                : stage === 'done'
                  ? 1
                  : 0.5 + 0.5 * fraction
              : stage === 'probing'
                ? 0.05
                : stage === 'analysing'
                  ? 0.05 + 0.85 * fraction
                  : stage === 'ledger'
                    ? 0.95
                    : 1;
            bar.update(overall, o.server && stage === 'probing' ? 'uploading' : stage);
          };
          try {
            if (!fs.existsSync(file))
              throw Object.assign(new Error(`No file at ${file}.`), { code: 'file_not_found' });
            const report = await verifyOne(file, progress);
            outcomes.push({ file, report });
          } catch (e) {
            const err = e as Error & { code?: string };
            outcomes.push({
              file,
              error: { code: isAppError(e) ? e.code : (err.code ?? 'error'), message: err.message },
            });
          } finally {
            bar.done();
          }
        }
      };
      if (o.server) await run((file, p) => uploadToServer(o.server!, file, p, { whole: o.whole }));
      else
        await withRuntime((rt) =>
          run((file, p) => rt.verify.verifyFile(file, { name: path.basename(file), whole: o.whole }, p)),
        );

      if (o.json) {
        process.stdout.write(
          `${JSON.stringify(
            outcomes.map((x) =>
              'report' in x ? { ...x.report, file: x.file, upload: x.report.file, thumbnail: undefined } : x,
            ),
            null,
            2,
          )}\n`,
        );
      } else {
        for (const x of outcomes)
          process.stdout.write(
            `${'report' in x ? summary(x.file, x.report) : `${x.file}: ERROR ${x.error.message}`}\n\n`,
          );
      }
      process.exitCode = Math.max(...outcomes.map(exitFor));
    });
}
