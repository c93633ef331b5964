/**
 * Per-record envelope encryption for what the registry keeps but must not show: the account that
 * a block refused (opened only by an operator's release) and reference face descriptors.
 */
import { decryptWith, encryptWith, newDataKey, unwrapDataKey } from '../keys/envelope';

export interface Sealed {
  wrappedKey: Buffer;
  sealed: Buffer;
}

export function seal(masterKey: Buffer, context: string, plaintext: Buffer): Sealed {
  const { dataKey, wrapped } = newDataKey(masterKey, context);
  return { wrappedKey: wrapped, sealed: encryptWith(dataKey, plaintext, context) };
}

export function unseal(masterKey: Buffer, context: string, s: Sealed): Buffer {
  return decryptWith(unwrapDataKey(masterKey, s.wrappedKey, context), s.sealed, context);
}

export function descriptorToBytes(d: Float32Array): Buffer {
  return Buffer.from(new Float32Array(d).buffer);
}

export function bytesToDescriptor(b: Buffer): Float32Array {
  const copy = Buffer.from(b);
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}
