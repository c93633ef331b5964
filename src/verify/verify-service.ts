/**
 * Verification of one file on disk: what it is, its Content Credentials, our watermark, and the
 * ledger (by watermark payload, exact content hash, manifest generation id, fingerprint). HTTP
 * and the CLI both call verifyFile; neither holds the file in memory.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Queryable } from '../db/database';
import { AppError, Invalid, PayloadTooLarge, UnsupportedMedia } from '../http/errors';
import {
  fingerprintMedia,
  ledgerRepository,
  type MediaFingerprint,
  probeFile,
  type LedgerRecord,
  type ProbedMedia,
} from '../ledger';
import type { ManifestSummary, Provenance } from '../provenance';
import { ISSUED_SCAN_LIMIT, type DetectFileOptions, type WatermarkDetection } from '../watermark';
import { createIssuedCountCache } from './issued-count';
import { createIssuedPayloadCache } from './issued-payloads';
import { Semaphore } from './semaphore';
import { SNIFF_BYTES, sniffMedia, type MediaKind } from './sniff';
import { thumbnailDataUrl } from './thumbnail';
import { assertComplete } from './truncation';
import { decide, OPERATING_P_VALUE, strongFingerprint } from './verdict';
import type { RecoveredManifest, VerifyReport } from './verify-schemas';

export const MAX_DURATION_SEC = 300;
/**
 * How much of a clip the watermark detector reads by default. The mark's payload comes back from
 * 3 s after every transformation the service is built to survive, so a clip's first 6 s carry
 * twice that; sound alone gets 12 s, because the sound mark needs about 10 s after lossy codecs.
 * The fingerprint always covers the whole clip. `whole` reads up to WATERMARK_WHOLE_SECONDS.
 */
const WATERMARK_SECONDS = 6;
const WATERMARK_SOUND_SECONDS = 12;
const WATERMARK_WHOLE_SECONDS = 60;
/**
 * It looks once after this much picture: a delivered clip, even re-encoded, halved or trimmed,
 * shows its mark and identifier there, and stopping saves most of the decoding (issue 8's 2 s).
 */
const WATERMARK_QUICK_SECONDS = 3;

export type VerifyStage = 'probing' | 'analysing' | 'ledger' | 'done';
export type ProgressFn = (stage: VerifyStage, fraction: number) => void;

export type DetectWatermark = (
  path: string,
  key: Buffer,
  opts: DetectFileOptions,
) => Promise<WatermarkDetection>;

export interface VerifyServiceDeps {
  db: Queryable;
  provenance: Provenance;
  detectWatermark: DetectWatermark;
  watermarkKey: Buffer;
  maxBytes: number;
  maxDurationSec?: number;
  /** Analyses running at once in this process; more wait their turn. */
  maxConcurrent?: number;
  logger?: { warn(o: unknown, m?: string): void };
}

export interface VerifyMeta {
  name?: string | null;
  /** Already computed while the upload streamed to disk. */
  sha256?: string;
  /**
   * Read the whole clip (up to the watermark's limit) and compute every signal, even when the
   * watermark's quick look already settled it: the full timeline, the sound and the fingerprint.
   */
  whole?: boolean;
}

const NEUTRAL_DN = (s: string) =>
  s
    .split(/,\s*/)
    .map((p) => p.trim())
    .filter(Boolean)
    .sort()
    .join(',');

async function sha256File(path: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function readHead(path: string): Promise<Buffer> {
  const fd = await fs.promises.open(path, 'r');
  try {
    const b = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fd.read(b, 0, SNIFF_BYTES, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

function recovered(r: LedgerRecord): RecoveredManifest {
  return {
    payloadHex: r.payloadHex,
    generationId: r.generationId,
    createdAt: r.createdAt,
    takenDown: !!r.takenDownAt,
    takenDownAt: r.takenDownAt,
    takedownReason: r.takedownReason,
    manifest: r.manifest,
    manifestStoreJson: r.manifestStoreJson,
    url: `/v1/ledger/${r.payloadHex}/manifest`,
  };
}

export function createVerifyService(deps: VerifyServiceDeps) {
  const maxDuration = deps.maxDurationSec ?? MAX_DURATION_SEC;
  const gate = new Semaphore(deps.maxConcurrent ?? Math.max(2, os.cpus().length));
  // N for the watermark's ledger-aided decision, counted at most once a minute (issued-count.ts).
  const issuedCountBound = createIssuedCountCache(() => ledgerRepository.countIssued(deps.db));
  // Every issued identifier, for the matched test (issued-payloads.ts); read incrementally.
  const issuedPayloads = createIssuedPayloadCache(
    (since) => ledgerRepository.issuedPayloadsSince(deps.db, since),
    () => ledgerRepository.countIssued(deps.db),
    ISSUED_SCAN_LIMIT,
  );
  const own = deps.provenance.signerInfo();

  // Names alone can be copied by any CA (two development CAs even share them), so "ours" also
  // needs the chain to end at one of our trust anchors.
  const isOurs = (m: ManifestSummary | null): boolean =>
    m?.verdict === 'valid_trusted' &&
    !!m.signer &&
    NEUTRAL_DN(m.signer.subject) === NEUTRAL_DN(own.subject) &&
    NEUTRAL_DN(m.signer.issuer) === NEUTRAL_DN(own.issuer);

  /** Checks what the file is before any heavy work; throws 4xx AppErrors with a sentence. */
  async function admit(
    path: string,
    size: number,
  ): Promise<{ kind: MediaKind; mimeType: string; probed: ProbedMedia }> {
    if (size > deps.maxBytes)
      throw new PayloadTooLarge(
        'media_too_large',
        `The file is ${size} bytes; the limit is ${deps.maxBytes} bytes.`,
      );
    const sniffed = sniffMedia(await readHead(path), size);
    await assertComplete(path, sniffed.mimeType, size);
    let probed: ProbedMedia;
    try {
      probed = await probeFile(path);
    } catch (e) {
      if (e instanceof AppError)
        throw new Invalid(
          'media_unreadable',
          `The ${sniffed.label} could not be decoded; it may be truncated or corrupt.`,
        );
      throw e;
    }
    if (!probed.video && !probed.audio)
      throw new Invalid('media_no_streams', `The ${sniffed.label} has neither pictures nor sound.`);
    if (probed.durationSec !== null && probed.durationSec > maxDuration) {
      throw new PayloadTooLarge(
        'media_too_long',
        `The file lasts ${Math.round(probed.durationSec)} s; clips up to ${maxDuration} s (5 minutes) are verified.`,
      );
    }
    // The streams decide: an MP4 holding only sound is audio, a one-frame container an image.
    const kind: MediaKind = probed.video ? (probed.isImage ? 'image' : 'video') : 'audio';
    return { kind, mimeType: sniffed.mimeType, probed };
  }

  async function readManifest(path: string): Promise<ManifestSummary | null> {
    try {
      return await deps.provenance.readFile(path);
    } catch (e) {
      // Formats Content Credentials are not read for here (WebM, MKV, WebP, raw AAC).
      if (e instanceof UnsupportedMedia) return null;
      if (e instanceof AppError && e.status < 500) return null;
      throw e;
    }
  }

  async function detect(
    path: string,
    onUndecided: () => void,
    whole: boolean,
    kind: MediaKind,
  ): Promise<WatermarkDetection | null> {
    try {
      return await deps.detectWatermark(path, deps.watermarkKey, {
        maxSeconds: whole
          ? WATERMARK_WHOLE_SECONDS
          : kind === 'audio'
            ? WATERMARK_SOUND_SECONDS
            : WATERMARK_SECONDS,
        quickSeconds: whole ? undefined : WATERMARK_QUICK_SECONDS,
        onUndecided,
        issued: async (payloads) => {
          const [issued, issuedCount] = await Promise.all([
            ledgerRepository.issuedAmong(deps.db, payloads),
            issuedCountBound(),
          ]);
          return { issued, issuedCount };
        },
        // The matched test is an extra chance, not a requirement: a failed read skips it.
        issuedScan: async () => {
          try {
            const [all, issuedCount] = await Promise.all([issuedPayloads(), issuedCountBound()]);
            return all ? { payloads: [...all.payloads], issuedCount } : null;
          } catch (e) {
            deps.logger?.warn({ err: (e as Error).message }, 'issued identifiers could not be read');
            return null;
          }
        },
      });
    } catch (e) {
      deps.logger?.warn({ err: (e as Error).message }, 'watermark detection failed');
      return null;
    }
  }

  async function verifyFile(
    path: string,
    meta: VerifyMeta = {},
    onProgress?: ProgressFn,
  ): Promise<VerifyReport> {
    const started = Date.now();
    const stat = await fs.promises.stat(path);
    if (!stat.isFile()) throw new Invalid('media_not_file', 'The path is not a regular file.');
    onProgress?.('probing', 0);
    const { kind, mimeType, probed } = await admit(path, stat.size);
    return gate.run(async () => {
      let done = 0;
      const step = <T>(p: Promise<T>): Promise<T> =>
        p.finally(() => {
          done++;
          onProgress?.('analysing', done / 5);
        });
      onProgress?.('analysing', 0);
      // The fingerprint is the route for copies the watermark cannot identify. It starts once the
      // watermark's quick look has not settled the clip (the picture and sound are then read whole
      // anyway) and is skipped when that look, or the exact bytes, named the ledger entry.
      let fingerprinting: Promise<MediaFingerprint | null> | null = null;
      const startFingerprint = () => (fingerprinting ??= fingerprintMedia(path, probed).catch(() => null));
      const [sha256, manifest, wm, thumb] = await Promise.all([
        step(meta.sha256 ? Promise.resolve(meta.sha256) : sha256File(path)),
        step(readManifest(path)),
        step(detect(path, startFingerprint, !!meta.whole, kind)),
        step(
          kind === 'audio'
            ? Promise.resolve(null)
            : thumbnailDataUrl(path, { isImage: kind === 'image', durationSec: probed.durationSec }),
        ),
      ]);
      const wmPayload = wm?.detected
        ? wm.video?.segments.some((s) => s.detected) || !wm.audio?.detected
          ? wm.payloadHex
          : wm.audio.payloadHex
        : null;
      const [byContentHash, byWatermark, byManifest] = await Promise.all([
        ledgerRepository.findByContentSha256(deps.db, sha256),
        wmPayload ? ledgerRepository.findByPayload(deps.db, wmPayload) : Promise.resolve(null),
        manifest?.generationId
          ? ledgerRepository.findByGenerationId(deps.db, manifest.generationId)
          : Promise.resolve(null),
      ]);
      const identified = byContentHash ?? (wm?.detected && wmPayload ? byWatermark : null);
      const fp = fingerprinting || !identified || meta.whole ? await startFingerprint() : null;
      onProgress?.('analysing', 1);
      onProgress?.('ledger', 0);
      const fpMatch = fp ? await ledgerRepository.nearestByFingerprint(deps.db, fp) : null;
      const fingerprintNote =
        !fp && identified
          ? `Not needed: ${byContentHash ? 'the exact file' : 'the watermark'} already identified the clip.`
          : null;
      const ours = isOurs(manifest);
      const d = decide({
        kind,
        manifest,
        manifestIsOurs: ours,
        watermark: wm ? { detected: wm.detected, pValue: wm.pValue, payloadHex: wmPayload } : null,
        byContentHash,
        byWatermark,
        byManifest,
        fingerprint: fpMatch,
      });
      const rec = d.record;
      // A stripped manifest is recovered only through signals that do not depend on the file's own credentials.
      const recover =
        rec &&
        (d.matchedBy === 'watermark' || d.matchedBy === 'fingerprint' || d.matchedBy === 'content_hash')
          ? recovered(rec)
          : null;
      onProgress?.('done', 1);
      // A still image has no timeline segments: its one frame is the video signal.
      const videoDetected = wm?.video?.segments.length
        ? wm.video.segments.some((s) => s.detected)
        : !!wm?.detected && !wm?.audio?.detected;
      return {
        verdict: d.verdict,
        confidence: d.confidence,
        explanation: d.explanation,
        file: {
          name: meta.name ?? null,
          sizeBytes: stat.size,
          sha256,
          mimeType,
          kind,
          durationSec: kind === 'image' ? null : probed.durationSec,
          width: probed.video?.width ?? null,
          height: probed.video?.height ?? null,
        },
        thumbnail: thumb,
        evidence: {
          manifest: {
            supported: manifest !== null,
            present: manifest?.present ?? false,
            verdict: manifest?.verdict ?? 'absent',
            signedByThisService: ours,
            signer: manifest?.signer ?? null,
            signedAt: manifest?.signedAt ?? null,
            actions: manifest?.actions ?? [],
            digitalSourceType: manifest?.digitalSourceType ?? null,
            generationId: manifest?.generationId ?? null,
            claimGenerator: manifest?.claimGenerator ?? null,
            failureCodes: manifest?.failureCodes ?? [],
          },
          watermark: {
            checked: wm !== null,
            detected: !!wm?.detected,
            operatingPValue: OPERATING_P_VALUE,
            decidedBy: wm?.detected ? (wm.decidedBy ?? 'code') : null,
            payloadHex: wmPayload,
            pValue: wm?.pValue ?? null,
            score: wm?.score ?? null,
            reason: wm?.reason ?? (wm ? null : 'the watermark detector could not read this file'),
            note: wm?.skipped ?? null,
            video: wm?.video
              ? {
                  detected: videoDetected,
                  framesUsed: wm.video.framesUsed,
                  secondsUsed: wm.video.secondsUsed,
                  segments: wm.video.segments,
                }
              : null,
            audio: wm?.audio
              ? { detected: wm.audio.detected, secondsUsed: wm.audio.secondsUsed, pValue: wm.audio.pValue }
              : null,
          },
          ledger: {
            found: !!rec,
            matchedBy: d.matchedBy,
            payloadHex: rec?.payloadHex ?? null,
            generationId: rec?.generationId ?? null,
            createdAt: rec?.createdAt ?? null,
            takenDown: !!rec?.takenDownAt,
            takenDownAt: rec?.takenDownAt ?? null,
            takedownReason: rec?.takedownReason ?? null,
          },
          fingerprint: {
            checked: fp !== null,
            queryFrames: fp?.frameHashes.length ?? 0,
            queryAudio: fp?.audioHashes.length ?? 0,
            matched: !!fpMatch,
            strong: strongFingerprint(fpMatch),
            matchedFrames: fpMatch?.matchedFrames ?? 0,
            matchedAudio: fpMatch?.matchedAudio ?? 0,
            meanDistance:
              fpMatch && fpMatch.matchedFrames ? Math.round(fpMatch.meanDistance * 100) / 100 : null,
            generationId: fpMatch?.record.generationId ?? null,
            note: fingerprintNote,
          },
        },
        recoveredManifest: recover,
        analysisMs: Date.now() - started,
      };
    });
  }

  /** The manifest the service signed for a ledger entry (public: soft-binding resolution). */
  async function manifestFor(payloadHex: string): Promise<RecoveredManifest | null> {
    const r = await ledgerRepository.findByPayload(deps.db, payloadHex);
    return r ? recovered(r) : null;
  }

  return { verifyFile, manifestFor, queued: () => gate.queued };
}

export type VerifyService = ReturnType<typeof createVerifyService>;
