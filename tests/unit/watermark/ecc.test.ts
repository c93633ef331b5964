import {
  bitsToHex,
  CODED_BITS,
  decodePayload,
  encodePayload,
  hexToBits,
  LIST_SIZE,
  mergeDecodes,
} from '../../../src/watermark/ecc';
import { gaussian, rng } from '../../../bench/watermark/frames';

describe('watermark error-correcting code', () => {
  it('round-trips a 64-bit payload through hex, encoding and noiseless decoding', () => {
    const hex = 'deadbeef01234567';
    const coded = encodePayload(hexToBits(hex));
    expect(coded.length).toBe(CODED_BITS);
    const soft = Float64Array.from(coded, (b) => (b ? -1 : 1));
    const { payload, crcOk } = decodePayload(soft);
    expect(crcOk).toBe(true);
    expect(bitsToHex(payload)).toBe(hex);
  });

  it('corrects a noisy soft channel with about one hard decision in six wrong', () => {
    const r = rng(3);
    const hex = '0f1e2d3c4b5a6978';
    const coded = encodePayload(hexToBits(hex));
    // amplitude 1, noise sigma 1: about 16% raw bit errors, well inside the code's reach
    let rawErrors = 0;
    const soft = Float64Array.from(coded, (b) => {
      const v = (b ? -1 : 1) + gaussian(r);
      if (Math.sign(v) !== (b ? -1 : 1)) rawErrors++;
      return v;
    });
    expect(rawErrors).toBeGreaterThan(10);
    const { payload, crcOk } = decodePayload(soft);
    expect(crcOk).toBe(true);
    expect(bitsToHex(payload)).toBe(hex);
  });

  it('fails the CRC on pure noise almost always (an unmarked input rarely yields a payload)', () => {
    const r = rng(9);
    let passes = 0;
    for (let t = 0; t < 300; t++)
      if (decodePayload(Float64Array.from({ length: CODED_BITS }, () => gaussian(r))).crcOk) passes++;
    expect(passes).toBeLessThanOrEqual(1);
  });

  it('recovers with the list decoder payloads a single survivor loses, and charges the CRC for the rank that passed', () => {
    const r = rng(5);
    const hex = '0f1e2d3c4b5a6978';
    const coded = encodePayload(hexToBits(hex));
    let single = 0,
      list = 0;
    const ranks: number[] = [];
    for (let t = 0; t < 200; t++) {
      const soft = Float64Array.from(coded, (b) => (b ? -1 : 1) + 1.3 * gaussian(r));
      if (decodePayload(soft, 1).crcOk) single++;
      const d = decodePayload(soft);
      if (d.crcOk && bitsToHex(d.payload) === hex) {
        list++;
        ranks.push(Math.round(10 ** (d.crcLog10 + 16 * Math.log10(2))));
      }
    }
    expect(list).toBeGreaterThan(single * 1.3);
    expect(Math.min(...ranks)).toBe(1);
    expect(Math.max(...ranks)).toBeGreaterThan(1);
    expect(Math.max(...ranks)).toBeLessThanOrEqual(LIST_SIZE);
  });

  it('keeps pure noise passing the CRC within the list bound (at most LIST_SIZE in 65536)', () => {
    const r = rng(11);
    let passes = 0;
    for (let t = 0; t < 600; t++)
      if (decodePayload(Float64Array.from({ length: CODED_BITS }, () => gaussian(r))).crcOk) passes++;
    // expected at most 600 * 16 / 65536 = 0.15 (bench/watermark.bench.ts counts CRC passes on 20,000 frames)
    expect(passes).toBeLessThanOrEqual(2);
  });

  it('finds with a deeper list (64 paths, as the sound decides) payloads the first 16 miss, charging the rank it passed at', () => {
    const r = rng(21);
    const hex = '0f1e2d3c4b5a6978';
    const coded = encodePayload(hexToBits(hex));
    let shallow = 0,
      deep = 0,
      wrong = 0;
    const ranks: number[] = [];
    for (let t = 0; t < 120; t++) {
      const soft = Float64Array.from(coded, (b) => (b ? -1 : 1) + 1.4 * gaussian(r));
      if (decodePayload(soft, LIST_SIZE).crcOk) shallow++;
      const d = decodePayload(soft, 64, 64);
      if (!d.crcOk) continue;
      if (bitsToHex(d.payload) !== hex) wrong++;
      else {
        deep++;
        ranks.push(Math.round(10 ** (d.crcLog10 + 16 * Math.log10(2))));
      }
    }
    expect(deep).toBeGreaterThan(shallow + 5);
    expect(Math.max(...ranks)).toBeGreaterThan(LIST_SIZE);
    expect(Math.max(...ranks)).toBeLessThanOrEqual(64);
    // A wrong path comes first through the CRC with chance at most 64 * 2^-16 a decode: 0.1 expected
    // in 120 (1 in 5000 decodes measured at this noise and above), so one is allowed, a pattern is not.
    expect(wrong).toBeLessThanOrEqual(1);
  });

  it('keeps pure noise passing the CRC within the bound of a 256-path list (256 in 65536)', () => {
    const r = rng(13);
    let passes = 0;
    for (let t = 0; t < 150; t++)
      if (
        decodePayload(
          Float64Array.from({ length: CODED_BITS }, () => gaussian(r)),
          256,
          256,
        ).crcOk
      )
        passes++;
    // expected 150 * 256 / 65536 = 0.6
    expect(passes).toBeLessThanOrEqual(4);
  });

  it('rejects payloads that are not 16 hex digits', () => {
    expect(() => hexToBits('abc')).toThrow(RangeError);
  });
});

describe('decodings of the same chips through several readings, merged', () => {
  const hex = '0123456789abcdef';
  const coded = encodePayload(hexToBits(hex));
  const clean = Float64Array.from(coded, (b) => (b ? -1 : 1));
  const r = rng(21);
  const noise = Float64Array.from({ length: CODED_BITS }, () => gaussian(r));

  it('takes the payload from whichever reading passes its CRC, charged for both lists above it', () => {
    const merged = mergeDecodes([decodePayload(noise), decodePayload(clean)]);
    expect(merged.crcOk).toBe(true);
    expect(bitsToHex(merged.payload)).toBe(hex);
    // path 0 of the second list ranks second: two paths could have passed before it
    expect(merged.crcLog10).toBeCloseTo(Math.log10(2) - 16 * Math.log10(2), 10);
    expect(merged.crcPassRate).toBeCloseTo(2 / 65536, 12);
  });

  it('prefers the first reading when both pass at the same rank, and charges it as one list would', () => {
    const merged = mergeDecodes([decodePayload(clean), decodePayload(clean)]);
    expect(merged.crcLog10).toBeCloseTo(-16 * Math.log10(2), 10);
    expect(merged.crcPasses.map((c) => c.rank).slice(0, 2)).toEqual([0, 1]);
  });

  it('keeps the first reading’s best path, unpassed, when no list passes', () => {
    const first = decodePayload(noise);
    const merged = mergeDecodes([first, decodePayload(noise.map((v) => -v))]);
    expect(merged.crcOk).toBe(first.crcOk);
    expect(bitsToHex(merged.payload)).toBe(bitsToHex(first.payload));
  });
});
