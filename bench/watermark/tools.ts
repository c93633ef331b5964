import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { detectLuma, LumaAccumulator, type LumaDetection } from '../../src/watermark/luma';
import { decodeLuma, probeMedia } from '../../src/watermark/media';
import {
  decideByIssued,
  issuedPValue,
  type IssuedCandidate,
  type IssuedLookup,
} from '../../src/watermark/issued';
import { bestMatch, matchIssued, type IssuedScan, type MarkEvidence } from '../../src/watermark/issued-match';
import { ffmpegBin } from '../../src/media/tools';
import { CODED_BITS, encodePayload, hexToBits } from '../../src/watermark/ecc';

const pexec = promisify(execFile);

export async function ffmpeg(args: string[]): Promise<void> {
  await pexec(ffmpegBin(), ['-v', 'error', '-y', ...args], { maxBuffer: 1 << 26 });
}

/** Luma detection over the first maxSeconds of a video, keeping the raw decode for bit accuracy. */
export async function detectVideoLuma(
  p: string,
  key: Buffer,
  maxSeconds = 3,
): Promise<LumaDetection & { frames: number }> {
  const info = await probeMedia(p);
  const { width: w, height: h } = info.video!;
  const acc = new LumaAccumulator(w, h);
  for await (const f of decodeLuma(p, info, maxSeconds))
    acc.add(new Uint8Array(f.y.buffer, f.y.byteOffset, w * h));
  // As detectFile reads a clip and a still: the origin test first, then the search.
  return { ...detectLuma(acc.mean(), w, h, key, { originPrior: true }), frames: acc.frames };
}

export async function detectImageLuma(p: string, key: Buffer): Promise<LumaDetection> {
  const { data, info } = await sharp(p)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const y = new Float32Array(info.width * info.height);
  for (let i = 0; i < y.length; i++)
    y[i] =
      0.299 * data[i * info.channels] +
      0.587 * data[i * info.channels + 1] +
      0.114 * data[i * info.channels + 2];
  return detectLuma(y, info.width, info.height, key, { originPrior: true });
}

export function bitsAgree(a: string | null | undefined, b: string): number {
  if (!a) return 0;
  let n = 0;
  for (let i = 0; i < 16; i++) {
    const x = parseInt(a[i], 16) ^ parseInt(b[i], 16);
    n += 4 - ((x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1) + ((x >> 3) & 1));
  }
  return n;
}

/** Runs the invisible-watermark comparison jobs in one python process (see imwm.py). */
export async function imwm(
  dir: string,
  jobs: object[],
  tmp: string,
): Promise<{ hex?: string; frames?: number }[]> {
  const jf = path.join(tmp, `jobs-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(jf, JSON.stringify(jobs));
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const { stdout } = await pexec(py, [path.join(__dirname, 'imwm.py'), dir, jf], { maxBuffer: 1 << 26 });
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { hex?: string; frames?: number });
}

export async function lumaOfPng(p: string): Promise<{ y: Uint8Array; w: number; h: number }> {
  const { data, info } = await sharp(p)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const y = new Uint8Array(info.width * info.height);
  for (let i = 0; i < y.length; i++)
    y[i] = Math.round(
      0.299 * data[i * info.channels] +
        0.587 * data[i * info.channels + 1] +
        0.114 * data[i * info.channels + 2],
    );
  return { y, w: info.width, h: info.height };
}

export function table(head: string[], rows: (string | number)[][]): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (rows.length) console.log('');
}

/** A ledger size for the ledger-aided column: a billion issued clips. */
export const BENCH_LEDGER_SIZE = 1e9;

/**
 * The ledger as detectFile asks it (the list test, then the matched test), holding the true
 * payload among BENCH_LEDGER_SIZE issued identifiers: the verdict the verifier reaches.
 */
export function benchLedger(payload: string): { issued: IssuedLookup; issuedScan: IssuedScan } {
  return {
    issued: async (ps) => ({
      issued: new Set(ps.filter((p) => p === payload)),
      issuedCount: BENCH_LEDGER_SIZE,
    }),
    issuedScan: async () => ({ payloads: [payload], issuedCount: BENCH_LEDGER_SIZE }),
  };
}

/**
 * The ledger-aided verdict the verifier reaches (issued.ts) when the ledger holds the true payload
 * among BENCH_LEDGER_SIZE issued identifiers: the p-value, or null when no candidate names it.
 */
export function ledgerAided(
  d: { detected: boolean; payloadHex: string | null; pValue: number; candidates?: IssuedCandidate[] },
  payload: string,
): { ok: boolean; pValue: number | null } {
  if (d.detected && d.payloadHex === payload) return { ok: true, pValue: d.pValue };
  const hit = decideByIssued(d.candidates ?? [], new Set([payload]), BENCH_LEDGER_SIZE);
  if (hit) return { ok: true, pValue: hit.pValue };
  const c = (d.candidates ?? []).find((x) => x.payloadHex === payload);
  return { ok: false, pValue: c ? issuedPValue(c, BENCH_LEDGER_SIZE) : null };
}

/**
 * The matched test (issued-match.ts) when the ledger holds the true payload among
 * BENCH_LEDGER_SIZE issued identifiers: the verdict the verifier reaches when the code and the
 * list test do not decide. The other identifiers are charged in N; they would only add chances
 * of a wrong match, which the calibration measures on unmarked sound.
 */
export function ledgerMatched(
  d: { detected: boolean; payloadHex: string | null; pValue: number; evidence?: MarkEvidence[] },
  payload: string,
): { ok: boolean; pValue: number | null } {
  if (d.detected && d.payloadHex === payload) return { ok: true, pValue: d.pValue };
  const m = matchIssued(d.evidence ?? [], [payload], BENCH_LEDGER_SIZE);
  return m ? { ok: true, pValue: m.pValue } : { ok: false, pValue: null };
}

/** The matched test's p-value for the true payload, for a row it does not decide. */
export function matchedP(d: { evidence?: MarkEvidence[] }, payload: string): string {
  const m = bestMatch(d.evidence ?? [], [payload], BENCH_LEDGER_SIZE);
  return m ? m.pValue.toExponential(1) : '-';
}

/**
 * How many bits the payload chips could carry at the alignment a reading chose: the Gaussian
 * channel's capacity, sum over chips of 0.5 log2(1 + snr), with the per-chip snr measured against
 * the true coded word (each coded bit is the sum of `chips / CODED_BITS` chips). A picture chip's
 * reading sums many pixels, so its noise is near Gaussian and this is close to what any code on
 * these chips could carry: well below 80 (the 64-bit payload and its 16-bit CRC) no decoder reads
 * the payload without outside knowledge, whatever its list or metric. The best over a reading's
 * alignments; null without evidence.
 */
export function payloadCapacityBits(
  d: { evidence?: MarkEvidence[] },
  payload: string,
  chips = LUMA_PAYLOAD_CHIPS,
): number | null {
  const coded = encodePayload(hexToBits(payload));
  let best: number | null = null;
  for (const ev of d.evidence ?? []) {
    if (ev.soft.length !== CODED_BITS) continue;
    const x = ev.soft.map((v, i) => (coded[i] ? -v : v));
    const mu = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - mu) ** 2, 0) / (x.length - 1);
    if (!(v > 0) || mu <= 0) continue;
    const snrChip = (mu * mu) / v / (chips / CODED_BITS);
    const c = chips * 0.5 * Math.log2(1 + snrChip);
    if (best === null || c > best) best = c;
  }
  return best;
}

/** The picture's payload chips: a 32x32 tile less its 256 sync chips. */
const LUMA_PAYLOAD_CHIPS = 32 * 32 - 256;
