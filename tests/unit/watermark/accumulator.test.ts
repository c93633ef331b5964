import { LumaAccumulator } from '../../../src/watermark/luma';

function frame(w: number, h: number, seed: number): Uint8Array {
  const f = new Uint8Array(w * h);
  for (let i = 0; i < f.length; i++) f[i] = (i * 7919 + seed * 104729) % 256;
  return f;
}

describe('LumaAccumulator', () => {
  it('sums frames exactly, past the point where its 16-bit lanes are folded into floats', () => {
    const w = 34,
      h = 10; // 340 pixels: 85 words, no tail
    const acc = new LumaAccumulator(w, h);
    const expected = new Float64Array(w * h);
    for (let k = 0; k < 600; k++) {
      const f = k % 2 ? new Uint8Array(w * h).fill(255) : frame(w, h, k);
      acc.add(f);
      for (let i = 0; i < f.length; i++) expected[i] += f[i];
    }
    expect(acc.frames).toBe(600);
    expect(Array.from(acc.sum)).toEqual(Array.from(expected));
    expect(acc.mean()[7]).toBeCloseTo(expected[7] / 600, 4);
  });

  it('handles a pixel count that is not a multiple of four, unaligned views and strided rows', () => {
    const w = 7,
      h = 5;
    const acc = new LumaAccumulator(w, h);
    const a = frame(w, h, 1);
    const backing = new Uint8Array(w * h + 1);
    backing.set(a, 1);
    acc.add(backing.subarray(1)); // byteOffset 1
    const strided = new Uint8Array(9 * h);
    for (let y = 0; y < h; y++) strided.set(a.subarray(y * w, y * w + w), y * 9);
    acc.add(strided, 9);
    expect(Array.from(acc.sum)).toEqual(Array.from(a, (v) => 2 * v));
  });
});
