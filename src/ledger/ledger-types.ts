import { z } from 'zod';
import type { MediaFingerprint } from './fingerprint';

const hex = (bits: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bits / 4}}$`), `must be ${bits / 4} lower-case hex characters`);

export const mediaFingerprintSchema = z.object({
  frameHashes: z.array(hex(64)).max(4000),
  audioHashes: z.array(hex(32)).max(4000),
  centreHashes: z.array(hex(64)).max(4000).optional(),
});

export const ledgerEntryInputSchema = z.object({
  payloadHex: hex(64),
  generationId: z.string().min(1).max(128),
  creatorId: z.string().min(1).max(128),
  cameoIds: z.array(z.string().min(1).max(128)).max(64),
  contentSha256: hex(256),
  blobKey: z.string().min(1).max(512),
  mimeType: z.string().min(1).max(128),
  durationSec: z.number().min(0),
  width: z.number().int().min(0),
  height: z.number().int().min(0),
  manifest: z.unknown(),
  manifestStoreJson: z.string().nullable(),
  fingerprint: mediaFingerprintSchema,
});

export interface LedgerEntryInput {
  /** 16 hex characters: the 64-bit watermark payload, which is also the ledger id. */
  payloadHex: string;
  generationId: string;
  creatorId: string;
  cameoIds: string[];
  contentSha256: string;
  blobKey: string;
  mimeType: string;
  durationSec: number;
  width: number;
  height: number;
  /** The summary of the signed output as read back. */
  manifest: unknown;
  /** The raw manifest store JSON, served for recovery of a stripped manifest. */
  manifestStoreJson: string | null;
  fingerprint: MediaFingerprint;
}

export interface LedgerRecord extends LedgerEntryInput {
  createdAt: string;
  takenDownAt: string | null;
  takedownReason: string | null;
}
