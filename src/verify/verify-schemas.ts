import { z } from 'zod';
import { VERDICTS } from './verdict';

const manifestEvidence = z.object({
  /** false when the format cannot carry Content Credentials here (WebM, MKV, WebP, raw AAC). */
  supported: z.boolean(),
  present: z.boolean(),
  verdict: z.enum(['valid_trusted', 'valid_untrusted', 'tampered', 'invalid', 'absent']),
  signedByThisService: z.boolean(),
  signer: z.object({ subject: z.string(), issuer: z.string() }).nullable(),
  signedAt: z.string().nullable(),
  actions: z.array(
    z.object({
      action: z.string(),
      when: z.string().optional(),
      softwareAgent: z.string().optional(),
      digitalSourceType: z.string().optional(),
    }),
  ),
  digitalSourceType: z.string().nullable(),
  generationId: z.string().nullable(),
  claimGenerator: z.object({ name: z.string(), version: z.string().optional() }).nullable(),
  failureCodes: z.array(z.string()),
});

const watermarkEvidence = z.object({
  checked: z.boolean(),
  detected: z.boolean(),
  /** The watermark counts only when detected with a p-value below this and its payload is in the ledger. */
  operatingPValue: z.number(),
  /**
   * code: the mark alone beat the operating p-value over every possible payload; ledger: its
   * payload decoded to an identifier this service issued, which an unmarked file does with the
   * (smaller) p-value given here.
   */
  decidedBy: z.enum(['code', 'ledger']).nullable(),
  payloadHex: z.string().nullable(),
  pValue: z.number().nullable(),
  score: z.number().nullable(),
  reason: z.string().nullable(),
  /** What was left unanalysed because an early look already settled it. */
  note: z.string().nullable(),
  video: z
    .object({
      detected: z.boolean(),
      framesUsed: z.number(),
      secondsUsed: z.number(),
      segments: z.array(z.object({ startSec: z.number(), endSec: z.number(), detected: z.boolean() })),
    })
    .nullable(),
  audio: z.object({ detected: z.boolean(), secondsUsed: z.number(), pValue: z.number() }).nullable(),
});

const ledgerEvidence = z.object({
  found: z.boolean(),
  matchedBy: z.enum(['content_hash', 'watermark', 'manifest', 'fingerprint']).nullable(),
  payloadHex: z.string().nullable(),
  generationId: z.string().nullable(),
  createdAt: z.string().nullable(),
  takenDown: z.boolean(),
  takenDownAt: z.string().nullable(),
  takedownReason: z.string().nullable(),
});

const fingerprintEvidence = z.object({
  checked: z.boolean(),
  queryFrames: z.number(),
  queryAudio: z.number(),
  matched: z.boolean(),
  strong: z.boolean(),
  matchedFrames: z.number(),
  matchedAudio: z.number(),
  meanDistance: z.number().nullable(),
  generationId: z.string().nullable(),
  /** Why it was not computed, when it was not needed. */
  note: z.string().nullable(),
});

export const recoveredManifestSchema = z.object({
  payloadHex: z.string(),
  generationId: z.string(),
  createdAt: z.string(),
  takenDown: z.boolean(),
  takenDownAt: z.string().nullable(),
  takedownReason: z.string().nullable(),
  /** The summary of the manifest the service signed, as read back at delivery. */
  manifest: z.unknown(),
  /** The raw manifest store JSON when the pipeline kept it. */
  manifestStoreJson: z.string().nullable(),
  url: z.string(),
});

export const verifyReportSchema = z.object({
  verdict: z.enum(VERDICTS),
  confidence: z.number(),
  explanation: z.string(),
  file: z.object({
    name: z.string().nullable(),
    sizeBytes: z.number(),
    sha256: z.string(),
    mimeType: z.string(),
    kind: z.enum(['video', 'image', 'audio']),
    durationSec: z.number().nullable(),
    width: z.number().nullable(),
    height: z.number().nullable(),
  }),
  thumbnail: z.string().nullable(),
  evidence: z.object({
    manifest: manifestEvidence,
    watermark: watermarkEvidence,
    ledger: ledgerEvidence,
    fingerprint: fingerprintEvidence,
  }),
  recoveredManifest: recoveredManifestSchema.nullable(),
  analysisMs: z.number(),
});

export type VerifyReport = z.infer<typeof verifyReportSchema>;
export type RecoveredManifest = z.infer<typeof recoveredManifestSchema>;

/** One line of the progress stream (`?progress=ndjson`). */
export const verifyStreamLineSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('progress'), stage: z.string(), fraction: z.number() }),
  z.strictObject({ type: z.literal('result'), report: verifyReportSchema }),
  z.strictObject({
    type: z.literal('error'),
    status: z.number().int(),
    error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }).passthrough(),
  }),
]);
