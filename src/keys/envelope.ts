import crypto from 'node:crypto';

/**
 * Envelope encryption: each record gets its own AES-256-GCM data key, stored only wrapped by the
 * master key. Destroying the wrapped data key makes every copy of the ciphertext (backups too) useless.
 */
const VERSION = 1;

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error('sealed data has an unknown format');
  const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
}

export function newDataKey(masterKey: Buffer, context: string): { dataKey: Buffer; wrapped: Buffer } {
  const dataKey = crypto.randomBytes(32);
  return { dataKey, wrapped: seal(masterKey, dataKey, `datakey:${context}`) };
}

export function unwrapDataKey(masterKey: Buffer, wrapped: Buffer, context: string): Buffer {
  return open(masterKey, wrapped, `datakey:${context}`);
}

export function encryptWith(dataKey: Buffer, plaintext: Buffer, context: string): Buffer {
  return seal(dataKey, plaintext, context);
}

export function decryptWith(dataKey: Buffer, sealed: Buffer, context: string): Buffer {
  return open(dataKey, sealed, context);
}
