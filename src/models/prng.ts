import crypto from 'node:crypto';

/** mulberry32: small, fast, and the same sequence on every platform for a given 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed mixing the caller's seed with the prompt, so two prompts with one seed differ. */
export function mixSeed(seed: number, text: string): number {
  const h = crypto.createHash('sha256').update(`${seed}\u0000${text}`).digest();
  return h.readUInt32LE(0);
}

export function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length) % xs.length]!;
}
