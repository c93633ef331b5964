import { createHmac } from 'node:crypto';

/**
 * Keyed pseudo-random streams (HMAC-SHA256 in counter mode). Everything secret about the mark
 * (chip signs, chip-to-bit assignment, whitening) comes from here, so without the key the
 * pattern can be neither read nor forged.
 */
export function keyedBytes(key: Buffer, label: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  let off = 0;
  for (let ctr = 0; off < n; ctr++) {
    const h = createHmac('sha256', key)
      .update(label)
      .update(Buffer.from([ctr >>> 24, ctr >>> 16, ctr >>> 8, ctr]))
      .digest();
    off += h.copy(out, off, 0, Math.min(h.length, n - off));
  }
  return out;
}

/** n values in {-1, +1}. */
export function keyedSigns(key: Buffer, label: string, n: number): Int8Array {
  const b = keyedBytes(key, label, Math.ceil(n / 8));
  const s = new Int8Array(n);
  for (let i = 0; i < n; i++) s[i] = (b[i >> 3] >> (i & 7)) & 1 ? 1 : -1;
  return s;
}

/** A keyed permutation of 0..n-1 (Fisher-Yates driven by the keyed stream). */
export function keyedPermutation(key: Buffer, label: string, n: number): Int32Array {
  const b = keyedBytes(key, label, n * 4);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const r = b.readUInt32LE(i * 4) % (i + 1);
    const t = p[i];
    p[i] = p[r];
    p[r] = t;
  }
  return p;
}
