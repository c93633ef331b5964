/** Bit distances between hex-encoded hashes (64-bit frame hashes, 32-bit audio sub-fingerprints). */

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance of two equal-length hex strings (a multiple of 8 characters). */
export function hammingHex(a: string, b: string): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.length; i += 8) {
    d += popcount32((parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0);
  }
  return d;
}

export function popcountHex(a: string): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 8) n += popcount32(parseInt(a.slice(i, i + 8), 16) >>> 0);
  return n;
}

/** The 16-bit bands of a hash, in order: a 64-bit hash gives four, a 32-bit one two. */
export function bandsOf(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 4) out.push(parseInt(hex.slice(i, i + 4), 16));
  return out;
}

export function bitsToHex(bits: ArrayLike<number>): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    hex += (
      ((bits[i] ? 8 : 0) | (bits[i + 1] ? 4 : 0) | (bits[i + 2] ? 2 : 0) | (bits[i + 3] ? 1 : 0)) >>>
      0
    ).toString(16);
  }
  return hex;
}
