import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegBin, runTool } from '../../../src/media/tools';
import { issueCa, issueSigningCertificate, toPem } from '../../../src/provenance/certificates';
import type { ManifestInput } from '../../../src/provenance';

export const silentLogger = { info: () => undefined, warn: () => undefined };

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** An H.264/AAC MP4 with moving test pattern and a tone, made fresh by ffmpeg. */
export async function makeMp4(
  outPath: string,
  opts: { seconds?: number; size?: string } = {},
): Promise<Buffer> {
  const seconds = String(opts.seconds ?? 2);
  await runTool(
    ffmpegBin(),
    [
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${opts.size ?? '320x240'}:rate=25`,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      seconds,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '96k',
      '-movflags',
      '+faststart',
      outPath,
    ],
    { timeoutMs: 120_000 },
  );
  return fs.readFileSync(outPath);
}

export async function makeWav(outPath: string): Promise<Buffer> {
  await runTool(ffmpegBin(), [
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=330:duration=1',
    outPath,
  ]);
  return fs.readFileSync(outPath);
}

export async function makeMp3(outPath: string): Promise<Buffer> {
  await runTool(ffmpegBin(), [
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=330:duration=1',
    '-c:a',
    'libmp3lame',
    outPath,
  ]);
  return fs.readFileSync(outPath);
}

/** Writes a leaf-first chain and key issued by a fresh CA that no verifier here trusts. */
export function writeForeignIdentity(
  dir: string,
  opts: { notBefore?: Date; notAfter?: Date; wrongKey?: boolean } = {},
): { chain: string; key: string; caPem: string } {
  const caDn = { commonName: 'Unknown Test CA', organization: 'Elsewhere' };
  const ca = issueCa(caDn);
  const leaf = issueSigningCertificate(
    { ...ca, subject: caDn },
    { commonName: 'Unknown signer', organization: 'Elsewhere' },
    opts,
  );
  const keyOwner = opts.wrongKey
    ? issueSigningCertificate({ ...ca, subject: caDn }, { commonName: 'other' })
    : leaf;
  const chain = path.join(dir, 'chain.pem');
  const key = path.join(dir, 'key.pem');
  fs.writeFileSync(chain, toPem(leaf.der));
  fs.writeFileSync(key, keyOwner.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, {
    mode: 0o600,
  });
  return { chain, key, caPem: ca.pem };
}

export function manifestInput(extra: Partial<ManifestInput> = {}): ManifestInput {
  return {
    generationId: 'gen_01HTESTGENERATION',
    model: { name: 'consentry-clipgen', version: '0.3.1' },
    cameoRefs: ['cameo_7f3a', 'cameo_91bc'],
    softBinding: { alg: 'com.consentry.watermark.v1', payloadHex: '0123456789abcdef' },
    createdAt: new Date('2026-03-04T05:06:07Z'),
    ...extra,
  };
}

/** Offset of a byte inside the first top-level box of `type` (e.g. the middle of mdat). */
export function bmffBoxMiddle(b: Buffer, type: string): number {
  let i = 0;
  while (i + 8 <= b.length) {
    let size = b.readUInt32BE(i);
    if (size === 1) size = Number(b.readBigUInt64BE(i + 8));
    if (size === 0) size = b.length - i;
    if (b.toString('latin1', i + 4, i + 8) === type) return i + Math.floor(size / 2);
    i += size;
  }
  throw new Error(`no ${type} box`);
}

/** Offset of the middle of the first PNG chunk of `type`'s data. */
export function pngChunkMiddle(b: Buffer, type: string): number {
  let i = 8;
  while (i + 12 <= b.length) {
    const len = b.readUInt32BE(i);
    if (b.toString('latin1', i + 4, i + 8) === type) return i + 8 + Math.floor(len / 2);
    i += 12 + len;
  }
  throw new Error(`no ${type} chunk`);
}

/** Offset of the middle of the JPEG entropy-coded data (after the first SOS). */
export function jpegScanMiddle(b: Buffer): number {
  const sos = b.indexOf(Buffer.from([0xff, 0xda]));
  if (sos < 0) throw new Error('no SOS');
  return sos + Math.floor((b.length - sos) / 2);
}

export function flipByte(b: Buffer, at: number): Buffer {
  const out = Buffer.from(b);
  out[at] ^= 0x5a;
  return out;
}

/** The APP11 (JUMBF) segments of a JPEG, in order. */
export function jpegApp11Segments(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff && b[i + 1] !== 0xda) {
    const len = b.readUInt16BE(i + 2);
    if (b[i + 1] === 0xeb) out.push(b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  return out;
}
