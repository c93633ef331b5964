/**
 * 32-bit hash -> key-id multimap in two tiers. The static tier is packed into typed arrays (radix
 * buckets on the top BUCKET_BITS bits, linear scan inside a bucket), so millions of deletion-
 * neighbourhood hashes cost 8 bytes each instead of a Map entry each. The delta tier is a plain Map
 * taking upserts between rebuilds. Callers verify every candidate, so collisions only cost time.
 */
/** About two hashes per bucket, between 2^8 and 2^22 buckets. */
function bucketBits(n: number): number {
  return Math.min(22, Math.max(8, Math.ceil(Math.log2(Math.max(1, n / 2)))));
}

export class HashMultimap {
  private shift = 32 - 8;
  private offsets = new Uint32Array((1 << 8) + 1);
  private hashes = new Int32Array(0);
  private ids = new Uint32Array(0);
  /**
   * One bit per (low bits of a) stored hash, ~8 bits per hash: most probes are misses, and this 2-8 MB
   * filter answers them from cache instead of touching the offsets and hash arrays (two cache misses).
   */
  private filter = new Uint32Array(1 << 3);
  private filterMask = (1 << 8) - 1;
  private delta = new Map<number, number[]>();
  private deltaCount = 0;

  get staticSize(): number {
    return this.hashes.length;
  }
  get deltaSize(): number {
    return this.deltaCount;
  }

  addDelta(hash: number, id: number): void {
    const list = this.delta.get(hash);
    if (list) list.push(id);
    else this.delta.set(hash, [id]);
    this.deltaCount++;
  }

  /** Replaces both tiers by the pairs in (hashes[i], ids[i]) for i < n. */
  load(pairHashes: Int32Array, pairIds: Uint32Array, n: number): void {
    const bits = bucketBits(n);
    const shift = 32 - bits;
    const offsets = new Uint32Array((1 << bits) + 1);
    for (let i = 0; i < n; i++) offsets[(pairHashes[i] >>> shift) + 1]++;
    for (let b = 1; b < offsets.length; b++) offsets[b] += offsets[b - 1];
    const fill = offsets.slice(0, offsets.length - 1);
    const hashes = new Int32Array(n);
    const ids = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const h = pairHashes[i];
      const at = fill[h >>> shift]++;
      hashes[at] = h;
      ids[at] = pairIds[i];
    }
    const filterBits = Math.min(27, bits + 4);
    const filter = new Uint32Array(1 << (filterBits - 5));
    const mask = filterBits === 32 ? 0xffffffff : (1 << filterBits) - 1;
    for (let i = 0; i < n; i++) {
      const f = hashes[i] & mask;
      filter[f >>> 5] |= 1 << (f & 31);
    }
    this.filter = filter;
    this.filterMask = mask;
    this.shift = shift;
    this.offsets = offsets;
    this.hashes = hashes;
    this.ids = ids;
    this.delta = new Map();
    this.deltaCount = 0;
  }

  /** Appends every id stored under hash (both tiers; ids may repeat) to out. */
  collect(hash: number, out: number[]): void {
    if (this.deltaCount) {
      const list = this.delta.get(hash);
      if (list) for (const id of list) out.push(id);
    }
    const f = hash & this.filterMask;
    if ((this.filter[f >>> 5] & (1 << (f & 31))) === 0) return;
    const b = hash >>> this.shift;
    const end = this.offsets[b + 1];
    const hashes = this.hashes;
    for (let i = this.offsets[b]; i < end; i++) if (hashes[i] === hash) out.push(this.ids[i]);
  }

  memoryBytes(): number {
    return (
      this.filter.byteLength +
      this.offsets.byteLength +
      this.hashes.byteLength +
      this.ids.byteLength +
      this.deltaCount * 48
    );
  }
}

/** Growable (hash, id) pair buffer used while building the static tier. */
export class PairBuffer {
  hashes = new Int32Array(1 << 16);
  ids = new Uint32Array(1 << 16);
  n = 0;
  push(h: number, id: number): void {
    if (this.n === this.hashes.length) {
      const nh = new Int32Array(this.n * 2);
      nh.set(this.hashes);
      this.hashes = nh;
      const ni = new Uint32Array(this.n * 2);
      ni.set(this.ids);
      this.ids = ni;
    }
    this.hashes[this.n] = h;
    this.ids[this.n] = id;
    this.n++;
  }
}

const B = 0x01000193;

/** Polynomial prefix hashes of s (mod 2^32) so any substring, with or without one deleted character, hashes in O(1). */
export class PrefixHash {
  readonly pre: Uint32Array;
  private static pow = (() => {
    const p = new Uint32Array(4096);
    p[0] = 1;
    for (let i = 1; i < p.length; i++) p[i] = Math.imul(p[i - 1], B) >>> 0;
    return p;
  })();
  constructor(readonly s: string) {
    this.pre = new Uint32Array(s.length + 1);
    for (let i = 0; i < s.length; i++) this.pre[i + 1] = (Math.imul(this.pre[i], B) + s.charCodeAt(i)) >>> 0;
  }
  static pw(n: number): number {
    return PrefixHash.pow[n];
  }
  /** Hash of s[a, b). */
  range(a: number, b: number): number {
    return (this.pre[b] - Math.imul(this.pre[a], PrefixHash.pow[b - a])) | 0;
  }
  /** Hash of s[a, b) with the character at k removed. */
  rangeWithout(a: number, b: number, k: number): number {
    const left = this.range(a, k);
    const right = this.range(k + 1, b);
    return (Math.imul(left, PrefixHash.pow[b - k - 1]) + right) | 0;
  }
}

export function rawHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, B) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Hashes are int32 (not uint32): V8 keeps int32 numbers unboxed, so passing them around allocates nothing.
 * Final mix: separates the tables (exact / deletion / phonetic) and the lengths sharing one multimap. */
export function tagHash(h: number, tag: number, len: number): number {
  let x = (h ^ Math.imul(tag + 1, 0x9e3779b1) ^ Math.imul(len, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

export const TAG_EXACT = 0;
export const TAG_PHONETIC = 2;
