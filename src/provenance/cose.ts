/**
 * c2pa-wasm hands the claim bytes to the signer and expects a finished, tagged COSE_Sign1 back
 * of exactly `reserveSize` bytes (the asset was laid out around a reserved slot of that size).
 * The gap is filled with a byte string under the unprotected header key "pad", as c2pa-rs does.
 */
import { Encoder, Tag } from 'cbor-x';
import type { Signer, SigningAlg } from './signer';

const COSE_ALG: Record<SigningAlg, number> = { ES256: -7, ES384: -35, ES512: -36, Ed25519: -8 };
const SIGNATURE_BYTES: Record<SigningAlg, number> = { ES256: 64, ES384: 96, ES512: 132, Ed25519: 64 };
const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;
const COSE_SIGN1_TAG = 18;

// Buffers, not Uint8Arrays: cbor-x tags a Uint8Array (tag 64) and the Sig_structure must hold
// plain byte strings. Maps keep the integer header labels as integers.
const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, variableMapSize: true });

/** Kept small: the pad sits in the unprotected header, so it is bytes no signature covers. */
const PAD_MARGIN = 16;

function protectedHeaderBytes(signer: Signer): Buffer {
  const chain = signer.certChainDer.map((c) => Buffer.from(c));
  const header = new Map<number, unknown>([
    [HEADER_ALG, COSE_ALG[signer.alg]],
    [HEADER_X5CHAIN, chain.length === 1 ? chain[0] : chain],
  ]);
  return Buffer.from(cbor.encode(header));
}

function encodeSign1(protectedBytes: Buffer, pads: number[], signature: Buffer): Buffer {
  const unprotected = new Map<string, Buffer>(
    pads.map((n, i) => [i === 0 ? 'pad' : `pad${i + 1}`, Buffer.alloc(n)]),
  );
  return Buffer.from(cbor.encode(new Tag([protectedBytes, unprotected, null, signature], COSE_SIGN1_TAG)));
}

/** The exact size of this signer's COSE_Sign1 with an empty pad, plus a small margin. */
export function reserveSizeFor(signer: Signer): number {
  return (
    encodeSign1(protectedHeaderBytes(signer), [0], Buffer.alloc(SIGNATURE_BYTES[signer.alg])).length +
    PAD_MARGIN
  );
}

function padTo(protectedBytes: Buffer, signature: Buffer, reserveSize: number): Buffer | undefined {
  // A byte string's length prefix grows with its length (1, 2, 3 or 5 bytes), so a few totals
  // cannot be reached with one pad; a second, empty pad entry shifts past those gaps.
  for (const extra of [[], [0]]) {
    let padLen = reserveSize - encodeSign1(protectedBytes, [0, ...extra], signature).length;
    for (let attempt = 0; attempt < 6 && padLen >= 0; attempt++) {
      const out = encodeSign1(protectedBytes, [padLen, ...extra], signature);
      if (out.length === reserveSize) return out;
      padLen -= out.length - reserveSize;
    }
  }
  return undefined;
}

export async function coseSign1(signer: Signer, claim: Uint8Array, reserveSize: number): Promise<Buffer> {
  const protectedBytes = protectedHeaderBytes(signer);
  const sigStructure = Buffer.from(
    cbor.encode(['Signature1', protectedBytes, Buffer.alloc(0), Buffer.from(claim)]),
  );
  const signature = await signer.sign(sigStructure);
  const out = padTo(protectedBytes, signature, reserveSize);
  if (!out) throw new Error(`The COSE signature does not fit the ${reserveSize} bytes reserved for it`);
  return out;
}
