/**
 * Sums luma planes of equal size so detection runs once on their mean. This loop bounds detection
 * speed, so frames are summed four pixels at a time: each 32-bit word of the frame is split into
 * its even and odd bytes, and each half is added into 32-bit words holding two 16-bit lanes (exact
 * for 257 frames of 8-bit values). Full stages are folded into the float sum.
 */
export class LumaAccumulator {
  private readonly total: Float32Array;
  private readonly even: Uint32Array;
  private readonly odd: Uint32Array;
  private readonly words: number;
  private staged = 0;
  frames = 0;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.total = new Float32Array(width * height);
    this.words = (width * height) >> 2;
    this.even = new Uint32Array(this.words);
    this.odd = new Uint32Array(this.words);
  }
  add(y: Uint8Array, stride = this.width): void {
    const { width, height, total } = this;
    if (this.staged === 257) this.flush();
    this.frames++;
    if (stride !== width) {
      for (let yy = 0; yy < height; yy++) {
        const row = yy * stride,
          o = yy * width;
        for (let xx = 0; xx < width; xx++) total[o + xx] += y[row + xx];
      }
      return;
    }
    const n = width * height;
    // An unaligned frame is copied once so it can be read as 32-bit words.
    const src = y.byteOffset & 3 ? Uint8Array.from(y.subarray(0, n)) : y;
    const w32 = new Uint32Array(src.buffer, src.byteOffset, this.words);
    const { even, odd, words } = this;
    for (let i = 0; i < words; i++) {
      const v = w32[i];
      even[i] += v & 0x00ff00ff;
      odd[i] += (v >>> 8) & 0x00ff00ff;
    }
    for (let i = words << 2; i < n; i++) total[i] += src[i];
    this.staged++;
  }
  private flush(): void {
    if (this.staged === 0) return;
    const { total, even, odd, words } = this;
    for (let i = 0; i < words; i++) {
      const e = even[i],
        o = odd[i];
      total[4 * i] += e & 0xffff;
      total[4 * i + 1] += o & 0xffff;
      total[4 * i + 2] += e >>> 16;
      total[4 * i + 3] += o >>> 16;
    }
    even.fill(0);
    odd.fill(0);
    this.staged = 0;
  }
  /** The per-pixel sum of every frame added so far. */
  get sum(): Float32Array {
    this.flush();
    return this.total;
  }
  mean(): Float32Array {
    const s = this.sum;
    const m = new Float32Array(s.length);
    const k = 1 / Math.max(1, this.frames);
    for (let i = 0; i < m.length; i++) m[i] = s[i] * k;
    return m;
  }
}
