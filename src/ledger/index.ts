/**
 * The ledger of every delivered output: the generation pipeline writes one entry at its last
 * stage (inside its transaction); verification looks entries up by watermark payload, content
 * hash, generation id or perceptual fingerprint.
 */
import crypto from 'node:crypto';

export {
  fingerprintMedia,
  CENTRE_FRACTION,
  FRAME_SAMPLES_PER_SECOND,
  type MediaFingerprint,
} from './fingerprint';
export {
  ledgerRepository,
  FRAME_MATCH_BITS,
  AUDIO_MATCH_BITS,
  type FingerprintMatch,
} from './ledger-repository';
export { ledgerEntryInputSchema, type LedgerEntryInput, type LedgerRecord } from './ledger-types';
export { probeFile, type ProbedMedia } from './probe';

/** 16 random lower-case hex characters: a fresh 64-bit watermark payload and ledger id. */
export function newLedgerPayload(): string {
  return crypto.randomBytes(8).toString('hex');
}
