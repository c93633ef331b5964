/**
 * c2pa-wasm hands the claim bytes to the signer and expects a finished, tagged COSE_Sign1 back
 * of exactly `reserveSize` bytes (the asset was laid out around a placeholder of that size).
 */
import { Encoder, Tag } from 'cbor-x';
import type { Signer, SigningAlg } from './signer';

const COSE_ALG: Record<SigningAlg, number> = { ES256: -7, ES384: -35, ES512: -36, Ed25519: -8 };
const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;
const COSE_SIGN1_TAG = 18;

// Buffers, not Uint8Arrays: cbor-x tags a Uint8Array (tag 64) and the Sig_structure must hold
// plain byte strings. Maps keep the integer header labels as integers.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, variableMapSize: true });

export const COSE_RESERVE_SLACK = 1024;

/** Room for the certificates, the signature and the CBOR framing, with slack for padding. */
export function reserveSizeFor(signer: Signer): number {
  return signer.certChainDer.reduce((n, c) => n + c.length + 8, 0) + 132 + 64 + COSE_RESERVE_SLACK;
}

function encodeSign1(protectedBytes: Buffer, unprotectedHeader: Map<unknown, unknown>, signature: Buffer): Buffer {
  return Buffer.from(cbor.encode(new Tag([protectedBytes, unprotectedHeader, null, signature], COSE_SIGN1_TAG)));
}

export async function coseSign1(signer: Signer, claim: Uint8Array, reserveSize: number): Promise<Buffer> {
  const chain = signer.certChainDer.map((c) => Buffer.from(c));
  const protectedHeader = new Map<number, unknown>([
    [HEADER_ALG, COSE_ALG[signer.alg]],
    [HEADER_X5CHAIN, chain.length === 1 ? chain[0] : chain],
  ]);
  const protectedBytes = Buffer.from(cbor.encode(protectedHeader));
  const sigStructure = Buffer.from(cbor.encode(['Signature1', protectedBytes, Buffer.alloc(0), Buffer.from(claim)]));
  const signature = await signer.sign(sigStructure);

  const bare = encodeSign1(protectedBytes, new Map([['pad', Buffer.alloc(0)]]), signature);
  let padLen = reserveSize - bare.length;
  if (padLen < 0) throw new Error(`COSE signature needs ${bare.length} bytes but only ${reserveSize} were reserved`);
  // The length prefix of the pad grows with the pad (1, 2, 3 or 5 bytes), so settle it by trying.
  for (let attempt = 0; attempt < 8; attempt++) {
    const out = encodeSign1(protectedBytes, new Map([['pad', Buffer.alloc(padLen)]]), signature);
    if (out.length === reserveSize) return out;
    padLen -= out.length - reserveSize;
    if (padLen < 0) break;
  }
  throw new Error(`Could not pad the COSE signature to exactly ${reserveSize} bytes`);
}
