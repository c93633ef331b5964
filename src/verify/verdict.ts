/**
 * The verdict from the signals, as a pure function so its precedence is tested on its own.
 *
 * Precedence, strongest first:
 * 1. tampered: the file carries Content Credentials that fail validation (its bytes changed
 *    after signing, or the manifest is broken). Reported even when other signals show the clip
 *    came from here; the ledger match is then given as evidence of where it came from.
 * 2. generated_here: one of
 *      - the upload's exact bytes are a delivered output (content hash in the ledger);
 *      - our watermark is found (p-value below the operating threshold) AND its payload is a
 *        ledger entry;
 *      - a valid manifest that chains to a trust anchor, signed by our signing identity, whose
 *        generation id is a ledger entry;
 *      - a strong fingerprint match against a ledger entry (see strongFingerprint).
 *    A watermark-shaped signal without a ledger entry, a manifest of ours without a ledger
 *    entry, or a weak fingerprint match is never enough.
 * 3. ai_generated_elsewhere: a valid manifest (trusted or not) from another signer that declares
 *    a trained-algorithmic (generative AI) source.
 * 4. no_evidence.
 */
import type { ManifestSummary } from '../provenance';
import type { FingerprintMatch, LedgerRecord } from '../ledger';

export const VERDICTS = ['generated_here', 'ai_generated_elsewhere', 'no_evidence', 'tampered'] as const;
export type VerdictName = (typeof VERDICTS)[number];
export type MatchedBy = 'content_hash' | 'watermark' | 'manifest' | 'fingerprint';

/** The watermark's combined p-value must be below this to count (the detector's own per-signal thresholds are 1e-9). */
export const OPERATING_P_VALUE = 1e-6;

const AI_SOURCE_TYPES = [
  'trainedAlgorithmicMedia',
  'compositeWithTrainedAlgorithmicMedia',
  'compositeSynthetic',
  'algorithmicMedia',
];

export interface Signals {
  kind: 'video' | 'image' | 'audio';
  /** null when the format cannot carry Content Credentials or reading failed. */
  manifest: ManifestSummary | null;
  manifestIsOurs: boolean;
  watermark: { detected: boolean; pValue: number; payloadHex: string | null } | null;
  byContentHash: LedgerRecord | null;
  byWatermark: LedgerRecord | null;
  byManifest: LedgerRecord | null;
  fingerprint: FingerprintMatch | null;
}

export interface Decision {
  verdict: VerdictName;
  confidence: number;
  matchedBy: MatchedBy | null;
  record: LedgerRecord | null;
  fingerprintStrong: boolean;
  explanation: string;
}

export function watermarkCounts(w: Signals['watermark']): boolean {
  return !!w && w.detected && !!w.payloadHex && w.pValue < OPERATING_P_VALUE;
}

/** Enough of the upload's frames (or, for sound alone, half-seconds) land close to one ledger entry. */
export function strongFingerprint(m: FingerprintMatch | null): boolean {
  if (!m) return false;
  if (m.queryFrames >= 2)
    return m.matchedFrames >= 2 && m.matchedFrames / m.queryFrames >= 0.5 && m.meanDistance <= 8;
  if (m.queryFrames === 1) return m.matchedFrames === 1 && m.meanDistance <= 6;
  return m.queryAudio >= 4 && m.matchedAudio >= 4 && m.matchedAudio / m.queryAudio >= 0.5;
}

export function declaresAiSource(m: ManifestSummary): boolean {
  const types = [m.digitalSourceType, ...m.actions.map((a) => a.digitalSourceType)].filter(
    (t): t is string => !!t,
  );
  return types.some((t) => AI_SOURCE_TYPES.some((s) => t.endsWith(`/${s}`) || t === s));
}

const round = (x: number) => Math.round(x * 10000) / 10000;

function origin(s: Signals): { by: MatchedBy; record: LedgerRecord; confidence: number } | null {
  if (s.byContentHash) return { by: 'content_hash', record: s.byContentHash, confidence: 1 };
  if (watermarkCounts(s.watermark) && s.byWatermark) {
    return {
      by: 'watermark',
      record: s.byWatermark,
      confidence: round(Math.min(0.9999, Math.max(0.99, 1 - s.watermark!.pValue))),
    };
  }
  if (s.manifest?.verdict === 'valid_trusted' && s.manifestIsOurs && s.byManifest)
    return { by: 'manifest', record: s.byManifest, confidence: 0.99 };
  if (strongFingerprint(s.fingerprint)) {
    const m = s.fingerprint!;
    const frac = m.queryFrames ? m.matchedFrames / m.queryFrames : m.matchedAudio / Math.max(1, m.queryAudio);
    const base = m.queryFrames >= 2 ? 0.8 : 0.75;
    return { by: 'fingerprint', record: m.record, confidence: round(base + 0.15 * frac) };
  }
  return null;
}

const HOW: Record<MatchedBy, string> = {
  content_hash: 'its exact bytes match a clip this service delivered',
  watermark: "it carries this service's invisible watermark, whose identifier is in the ledger",
  manifest: 'it carries valid Content Credentials signed by this service for a generation in the ledger',
  fingerprint: 'its pictures (or sound) closely match a clip in the ledger',
};

export function decide(s: Signals): Decision {
  const o = origin(s);
  const strong = strongFingerprint(s.fingerprint);
  const m = s.manifest;
  const takenDown = o?.record.takenDownAt ? ' That clip has since been taken down.' : '';
  if (m && m.present && (m.verdict === 'tampered' || m.verdict === 'invalid')) {
    const from = o
      ? ` It was nevertheless generated here: ${HOW[o.by]} (generation ${o.record.generationId}).${takenDown}`
      : '';
    return {
      verdict: 'tampered',
      confidence: m.verdict === 'tampered' ? 0.97 : 0.9,
      matchedBy: o?.by ?? null,
      record: o?.record ?? null,
      fingerprintStrong: strong,
      explanation:
        `The file carries Content Credentials that no longer match it: it was changed after it was signed, or its credentials are damaged (${
          m.failureCodes.slice(0, 3).join(', ') || 'validation failed'
        }). What the credentials say cannot be relied on.` + from,
    };
  }
  if (o) {
    const stripped =
      o.by !== 'content_hash' && o.by !== 'manifest' && !(m && m.present)
        ? ' Its Content Credentials were removed; the original ones are recovered from the ledger.'
        : '';
    return {
      verdict: 'generated_here',
      confidence: o.confidence,
      matchedBy: o.by,
      record: o.record,
      fingerprintStrong: strong,
      explanation: `This was generated by this service: ${HOW[o.by]} (generation ${o.record.generationId}, made ${o.record.createdAt}).${stripped}${takenDown}`,
    };
  }
  if (
    m &&
    m.present &&
    (m.verdict === 'valid_trusted' || m.verdict === 'valid_untrusted') &&
    !s.manifestIsOurs &&
    declaresAiSource(m)
  ) {
    const who = m.signer?.subject ?? 'an unknown signer';
    return {
      verdict: 'ai_generated_elsewhere',
      confidence: m.verdict === 'valid_trusted' ? 0.95 : 0.75,
      matchedBy: null,
      record: null,
      fingerprintStrong: false,
      explanation:
        `Its Content Credentials, signed by ${who}, declare that it was made with generative AI, but not by this service.` +
        (m.verdict === 'valid_untrusted'
          ? " The signer is not on this service's trust list, so who signed it is not vouched for."
          : ''),
    };
  }
  const wmUnmatched =
    watermarkCounts(s.watermark) && !s.byWatermark
      ? ' A watermark-like signal was found but its identifier is in no ledger entry, so it is not counted.'
      : '';
  const checked = s.watermark ? 'no watermark of this service, ' : 'no watermark could be checked, ';
  return {
    verdict: 'no_evidence',
    confidence: s.watermark ? 0.9 : 0.6,
    matchedBy: null,
    record: null,
    fingerprintStrong: false,
    explanation:
      `No evidence that this was generated by this service: ${checked}no matching ledger entry and no Content Credentials of ours were found. ` +
      'This does not prove it is authentic; it may have been made or altered elsewhere.' +
      wmUnmatched,
  };
}
