import sharp from 'sharp';
import { UnsupportedMedia } from '../../../src/http/errors';
import { hamming, imageHash, ImageHashIndex } from '../../../src/optout/matching';

/** A textured RGB test picture built from a seed (blobs of colour on a gradient), encoded as PNG. */
async function picture(seed: number, w = 320, h = 240): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  const blobs = Array.from({ length: 6 }, (_, i) => ({
    x: ((seed * 73 + i * 151) % w) | 0,
    y: ((seed * 37 + i * 97) % h) | 0,
    r: 25 + ((seed * 13 + i * 29) % 60),
    c: [(seed * 50 + i * 80) % 256, (seed * 90 + i * 40) % 256, (seed * 20 + i * 120) % 256],
  }));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      let c = [(x * 255) / w, (y * 255) / h, ((x + y) * 127) / (w + h)];
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) c = b.c;
      px[o] = c[0];
      px[o + 1] = c[1];
      px[o + 2] = c[2];
    }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

describe('image hash', () => {
  let base: Buffer;
  let h: Awaited<ReturnType<typeof imageHash>>;
  beforeAll(async () => {
    base = await picture(1);
    h = await imageHash(base);
  });

  it('is 256 bits, balanced around the median, with a quality score', () => {
    expect(h.hash).toHaveLength(32);
    expect(h.flipped).toHaveLength(32);
    const ones = [...h.hash].reduce((n, b) => n + b.toString(2).split('1').length - 1, 0);
    expect(ones).toBe(128);
    expect(h.quality).toBeGreaterThan(0);
    expect(h.quality).toBeLessThanOrEqual(100);
  });

  it('barely moves under resize, JPEG recompression and a colour shift', async () => {
    const variants = [
      await sharp(base).resize(120).png().toBuffer(),
      await sharp(base).jpeg({ quality: 25 }).toBuffer(),
      await sharp(base).modulate({ hue: 60, brightness: 1.15 }).png().toBuffer(),
    ];
    for (const v of variants) expect(hamming((await imageHash(v)).hash, h.hash)).toBeLessThanOrEqual(32);
  });

  it('matches small centre and corner crops through the crop variants of the reference', async () => {
    const crops = [
      await sharp(base).extract({ left: 10, top: 8, width: 300, height: 224 }).png().toBuffer(),
      await sharp(base).extract({ left: 0, top: 0, width: 300, height: 226 }).png().toBuffer(),
    ];
    expect(h.cropVariants.length).toBeGreaterThan(4);
    for (const c of crops) {
      const q = (await imageHash(c)).hash;
      const best = Math.min(hamming(q, h.hash), ...h.cropVariants.map((v) => hamming(q, v)));
      expect(best).toBeLessThanOrEqual(40);
    }
  });

  it('tells different pictures apart', async () => {
    for (const seed of [2, 3, 4])
      expect(hamming((await imageHash(await picture(seed))).hash, h.hash)).toBeGreaterThan(64);
  });

  it('gives a mirrored picture the original hash as its flipped hash', async () => {
    const mirrored = await imageHash(await sharp(base).flop().png().toBuffer());
    expect(hamming(mirrored.hash, h.flipped)).toBeLessThanOrEqual(16);
    expect(hamming(mirrored.flipped, h.hash)).toBeLessThanOrEqual(16);
    expect(hamming(mirrored.hash, h.hash)).toBeGreaterThan(32);
  });

  it('refuses bytes that are not an image, and empty input', async () => {
    await expect(imageHash(Buffer.from('%PDF-1.7 not an image at all'))).rejects.toBeInstanceOf(
      UnsupportedMedia,
    );
    await expect(imageHash(Buffer.alloc(0))).rejects.toBeInstanceOf(UnsupportedMedia);
    await expect(imageHash((await picture(1)).subarray(0, 60))).rejects.toBeInstanceOf(UnsupportedMedia);
  });
});

describe('hamming', () => {
  it('counts differing bits and refuses hashes of different lengths', () => {
    expect(hamming(Buffer.from([0b1010, 0xff]), Buffer.from([0b0101, 0xff]))).toBe(4);
    expect(() => hamming(Buffer.alloc(32), Buffer.alloc(31))).toThrow(RangeError);
  });
});

describe('ImageHashIndex', () => {
  function randomHash(seed: number): Buffer {
    let s = seed;
    const b = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      b[i] = s >>> 24;
    }
    return b;
  }
  function flipBits(h: Buffer, bits: number[]): Buffer {
    const c = Buffer.from(h);
    for (const bit of bits) c[bit >> 3] ^= 0x80 >> (bit & 7);
    return c;
  }

  it('finds every stored hash within the distance, nearest first, and nothing beyond it', () => {
    const idx = new ImageHashIndex();
    for (let i = 0; i < 2000; i++) idx.add(`r${i}`, randomHash(i + 1));
    const target = randomHash(500 + 1);
    // 31 flipped bits spread over every chunk: the multi-index probe must still find it.
    const q = flipBits(
      target,
      Array.from({ length: 31 }, (_, i) => i * 8 + (i % 8)),
    );
    const res = idx.nearest(q, 31);
    expect(res[0]).toEqual({ id: 'r500', distance: 31 });
    expect(idx.nearest(q, 30).find((r) => r.id === 'r500')).toBeUndefined();
    const brute = [...Array(2000).keys()].filter((i) => hamming(randomHash(i + 1), q) <= 40).length;
    expect(idx.nearest(q, 40)).toHaveLength(brute);
  });

  it('keeps one row per id with its closest hash, and forgets removed ids', () => {
    const idx = new ImageHashIndex();
    const a = randomHash(7);
    idx.add('ref', a);
    idx.add('ref', flipBits(a, [0, 1, 2, 3]));
    idx.add('other', randomHash(8));
    expect(idx.nearest(flipBits(a, [0, 1, 2]), 10)).toEqual([{ id: 'ref', distance: 1 }]);
    expect(idx.size).toBe(3);
    idx.remove('ref');
    expect(idx.nearest(a, 10)).toEqual([]);
    expect(idx.size).toBe(1);
    idx.add('again', a);
    expect(idx.nearest(a, 0)).toEqual([{ id: 'again', distance: 0 }]);
  });
});
