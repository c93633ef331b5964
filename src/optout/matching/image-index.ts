/**
 * Nearest 256-bit hashes by Hamming distance, with multi-index hashing: the hash is cut into 16
 * chunks of 16 bits, each chunk indexes the stored hashes in its own table. Two hashes within
 * distance d agree on some chunk up to floor(d/16) bits (pigeonhole), so probing each chunk with
 * its radius-r neighbours finds every match. Usual thresholds (d <= 31) probe 16 x 17 buckets;
 * beyond d = 47 a linear scan is cheaper and is used instead.
 */
const CHUNKS = 16;
const WORDS = 8;

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class ImageHashIndex {
  private words = new Uint32Array(WORDS * 1024);
  private slotId: (string | undefined)[] = [];
  private free: number[] = [];
  private byId = new Map<string, number[]>();
  private buckets: (number[] | undefined)[] = new Array(CHUNKS * 65536);
  /** Per-slot visit stamps: dedupes candidates across chunks without a Set per query. */
  private stamps = new Uint32Array(1024);
  private stamp = 0;

  get size(): number {
    return this.slotId.length - this.free.length;
  }

  /** Adds a hash under id; an id may hold several (say a reference's hash and its mirrored hash). */
  add(id: string, hash: Buffer): void {
    if (hash.length !== 32) throw new RangeError('image hashes are 32 bytes');
    const slot = this.free.pop() ?? this.slotId.length;
    if (slot === this.slotId.length) this.slotId.push(id);
    else this.slotId[slot] = id;
    if ((slot + 1) * WORDS > this.words.length) {
      const w = new Uint32Array(this.words.length * 2);
      w.set(this.words);
      this.words = w;
    }
    for (let i = 0; i < WORDS; i++) this.words[slot * WORDS + i] = hash.readUInt32BE(i * 4);
    for (let c = 0; c < CHUNKS; c++) {
      const b = c * 65536 + hash.readUInt16BE(c * 2);
      (this.buckets[b] ??= []).push(slot);
    }
    const slots = this.byId.get(id);
    if (slots) slots.push(slot);
    else this.byId.set(id, [slot]);
  }

  remove(id: string): void {
    const slots = this.byId.get(id);
    if (!slots) return;
    for (const slot of slots) {
      for (let c = 0; c < CHUNKS; c++) {
        const w = this.words[slot * WORDS + (c >> 1)];
        const chunk = c & 1 ? w & 0xffff : w >>> 16;
        const list = this.buckets[c * 65536 + chunk];
        if (list) {
          const i = list.indexOf(slot);
          if (i >= 0) list.splice(i, 1);
        }
      }
      this.slotId[slot] = undefined;
      this.free.push(slot);
    }
    this.byId.delete(id);
  }

  /** Every id with a hash within maxDistance, nearest first (one row per id, its closest hash). */
  nearest(hash: Buffer, maxDistance: number): { id: string; distance: number }[] {
    if (hash.length !== 32) throw new RangeError('image hashes are 32 bytes');
    const q = new Uint32Array(WORDS);
    for (let i = 0; i < WORDS; i++) q[i] = hash.readUInt32BE(i * 4);
    const best = new Map<string, number>();
    const check = (slot: number): void => {
      const id = this.slotId[slot];
      if (id === undefined) return;
      let d = 0;
      const base = slot * WORDS;
      for (let i = 0; i < WORDS && d <= maxDistance; i++) d += popcount32(this.words[base + i] ^ q[i]);
      if (d <= maxDistance) {
        const cur = best.get(id);
        if (cur === undefined || d < cur) best.set(id, d);
      }
    };
    const radius = Math.floor(maxDistance / CHUNKS);
    if (radius > 2) {
      for (let s = 0; s < this.slotId.length; s++) check(s);
    } else {
      if (this.stamps.length < this.slotId.length) {
        const st = new Uint32Array(Math.max(this.slotId.length, this.stamps.length * 2));
        st.set(this.stamps);
        this.stamps = st;
      }
      const stamp = ++this.stamp;
      const stamps = this.stamps;
      const visit = (b: number): void => {
        const list = this.buckets[b];
        if (!list) return;
        for (let i = 0; i < list.length; i++) {
          const s = list[i];
          if (stamps[s] === stamp) continue;
          stamps[s] = stamp;
          check(s);
        }
      };
      for (let c = 0; c < CHUNKS; c++) {
        const chunk = hash.readUInt16BE(c * 2);
        const base = c * 65536;
        visit(base + chunk);
        if (radius >= 1)
          for (let i = 0; i < 16; i++) {
            const c1 = chunk ^ (1 << i);
            visit(base + c1);
            if (radius >= 2) for (let j = i + 1; j < 16; j++) visit(base + (c1 ^ (1 << j)));
          }
      }
    }
    return [...best]
      .map(([id, distance]) => ({ id, distance }))
      .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
  }
}
