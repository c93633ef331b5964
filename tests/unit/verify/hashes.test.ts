import { audioSubFingerprints, AUDIO_RATE } from '../../../src/ledger/audio-hash';
import { bandsOf, hammingHex } from '../../../src/ledger/hamming';
import { phash, THUMB } from '../../../src/ledger/phash';

function picture(seed: number, shift = 0, gain = 1): Uint8Array {
  const g = new Uint8Array(THUMB * THUMB);
  for (let y = 0; y < THUMB; y++) {
    for (let x = 0; x < THUMB; x++) {
      const v =
        128 +
        60 * Math.sin((x + seed) / 3.1) * Math.cos((y * seed) / 7.3) +
        40 * Math.sin((x * y) / (20 + seed));
      g[y * THUMB + x] = Math.max(0, Math.min(255, Math.round(v * gain + shift)));
    }
  }
  return g;
}

describe('frame and audio hashes', () => {
  it('computes hamming distances and 16-bit bands of hex hashes', () => {
    expect(hammingHex('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingHex('0123456789abcdef', '0123456789abcdee')).toBe(1);
    expect(bandsOf('0123456789abcdef')).toEqual([0x0123, 0x4567, 0x89ab, 0xcdef]);
  });

  it('keeps a pHash through brightness and contrast changes and tells different pictures apart', () => {
    const a = phash(picture(3))!;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hammingHex(a, phash(picture(3, 12, 0.9))!)).toBeLessThanOrEqual(4);
    expect(hammingHex(a, phash(picture(11))!)).toBeGreaterThan(12);
  });

  it('gives no hash for a flat frame', () => {
    expect(phash(new Uint8Array(THUMB * THUMB).fill(16))).toBeNull();
  });

  it('gives no audio sub-fingerprints for silence or a held tone, and stable ones for changing notes', () => {
    const sec = 6;
    const n = AUDIO_RATE * sec;
    expect(audioSubFingerprints(new Int16Array(n))).toEqual([]);
    const tone = new Int16Array(n).map((_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / AUDIO_RATE)),
    );
    expect(audioSubFingerprints(tone)).toEqual([]);
    const notes = (gain: number) =>
      new Int16Array(n).map((_, i) => {
        const t = i / AUDIO_RATE;
        const f = 330 + 110 * (Math.floor(t * 3) % 7);
        return Math.round(gain * 8000 * Math.sin(2 * Math.PI * f * t));
      });
    const a = audioSubFingerprints(notes(1));
    const b = audioSubFingerprints(notes(0.5));
    expect(a.length).toBeGreaterThanOrEqual(6);
    expect(b).toEqual(a);
  });
});
