import {
  bitsToHex,
  CODED_BITS,
  decodePayload,
  encodePayload,
  hexToBits,
  LIST_SIZE,
} from '../../../src/watermark/ecc';
import {
  bestMatch,
  chargeEvidence,
  jointEvidence,
  DECODED_WORD_P_THRESHOLD,
  matchDecoded,
  matchIssued,
  matchLedger,
  MATCH_P_THRESHOLD,
  packedCode,
  type MarkEvidence,
} from '../../../src/watermark/issued-match';
import { log10NormalTail, log10RademacherTail, RADEMACHER_TAIL_C } from '../../../src/watermark/stats';
import { gaussian, rng } from '../../../bench/watermark/frames';

const HEX = '0f1e2d3c4b5a6978';

const NSYNC = 246;

/** random identifiers, none equal to HEX */
function others(n: number, seed: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: 16 }, () => Math.floor(r() * 16).toString(16)).join(''),
  ).filter((p) => p !== HEX);
}

/**
 * What a reading reports for a mark of amplitude `a` per unit under unit gaussian noise, one unit
 * per coded bit as in the sound mark; `a` = 0 is unmarked input.
 */
function evidence(a: number, seed: number, log10Charge = 5): MarkEvidence {
  const r = rng(seed);
  const code = encodePayload(hexToBits(HEX));
  const soft = Array.from(code, (b) => (b ? -a : a) + gaussian(r));
  let syncSum = 0,
    syncEnergy = 0;
  for (let i = 0; i < NSYNC; i++) {
    const v = a + gaussian(r);
    syncSum += v;
    syncEnergy += v * v;
  }
  return {
    source: 'sound',
    soft,
    payloadEnergy: soft.reduce((s, v) => s + v * v, 0),
    syncSum,
    syncEnergy,
    log10Charge,
  };
}

describe('the matched test: a reading correlated with every issued identifier', () => {
  it('identifies among 1000 issued identifiers a mark too weak for the list decoder to read', () => {
    const issued = [...others(999, 1), HEX];
    let listRead = 0,
      matched = 0;
    for (let seed = 1; seed <= 20; seed++) {
      // a = 0.65: sync and payload together score z ~ 0.65 * sqrt(504 / 1.42) = 12, where the
      // 16-path list decoder reads 4 of these 20 readings
      const ev = evidence(0.65, seed);
      const dec = decodePayload(Float64Array.from(ev.soft), LIST_SIZE);
      if (dec.crcOk && dec.crcPasses[0]?.payloadHex === HEX) listRead++;
      const m = matchIssued([ev], issued, 1e9);
      if (m) {
        expect(m.payloadHex).toBe(HEX);
        expect(m.pValue).toBeLessThanOrEqual(MATCH_P_THRESHOLD);
        matched++;
      }
    }
    expect(listRead).toBeLessThanOrEqual(10);
    expect(matched).toBeGreaterThanOrEqual(18);
    expect(matched).toBeGreaterThan(listRead);
  });

  it('decides by a decoded word when its correlation clears the union over all 2^64 CRC-valid words', () => {
    let read = 0;
    for (let seed = 30; seed < 40; seed++) {
      // a = 0.8: the list decoder finds the word, and the word's z (about 15) clears 1e-11 with
      // 10^6 alignments and 2^64 words charged
      const ev = evidence(0.8, seed, 6);
      const dec = decodePayload(Float64Array.from(ev.soft), LIST_SIZE, 64);
      const m = matchDecoded(
        [ev],
        dec.crcPasses.map((c) => c.payloadHex),
      );
      if (!m) continue;
      read++;
      expect(m.payloadHex).toBe(HEX);
      expect(Math.log10(m.pValue)).toBeCloseTo(
        6 + 64 * Math.log10(2) + Math.log10(RADEMACHER_TAIL_C) + log10NormalTail(m.z),
        9,
      );
      expect(m.pValue).toBeLessThanOrEqual(DECODED_WORD_P_THRESHOLD);
    }
    expect(read).toBeGreaterThanOrEqual(8);
    // the same reading charged for 10^18 alignments does not decide, and no word decides nothing
    expect(matchDecoded([evidence(0.8, 30, 18)], [HEX])).toBeNull();
    expect(matchDecoded([evidence(0.8, 30, 6)], [])).toBeNull();
  });

  it('decides no decoded word on unmarked readings, even handed the best paths of a deep list whatever their CRC', () => {
    for (let seed = 500; seed < 600; seed++) {
      const ev = evidence(0, seed, 0);
      // the best paths of a deep list: the words an unmarked reading fits best
      const dec = decodePayload(Float64Array.from(ev.soft), 64, 64);
      const words = [bitsToHex(dec.payload), ...dec.crcPasses.map((c) => c.payloadHex)];
      expect(matchDecoded([ev], words)).toBeNull();
    }
  });

  it('builds each coded word from per-byte tables exactly as the encoder does (CRC and code are affine over GF(2))', () => {
    for (const hex of [HEX, '0000000000000000', 'ffffffffffffffff', ...others(200, 9)]) {
      const code = encodePayload(hexToBits(hex));
      const p = packedCode(hex.toUpperCase())!;
      expect(Uint8Array.from({ length: CODED_BITS }, (_, b) => (p[b >> 5] >>> (b & 31)) & 1)).toEqual(code);
    }
    expect(packedCode('not a payload')).toBeNull();
  });

  it('charges 10^log10Charge x N x 3.18 Q(z), N at least the identifiers scanned', () => {
    const ev = evidence(0.6, 3, 4);
    const m = bestMatch([ev], [HEX], 1e6)!;
    const code = encodePayload(hexToBits(HEX));
    let num = ev.syncSum;
    for (let b = 0; b < CODED_BITS; b++) num += code[b] ? -ev.soft[b] : ev.soft[b];
    const z = num / Math.sqrt(ev.syncEnergy + ev.payloadEnergy);
    expect(m.z).toBeCloseTo(z, 9);
    expect(Math.log10(m.pValue)).toBeCloseTo(4 + 6 + Math.log10(RADEMACHER_TAIL_C) + log10NormalTail(z), 9);
    // far from deciding (p clamps to 1), the best word is still the one with the highest z
    const words = [...others(50, 13), HEX];
    const far = bestMatch([evidence(0.6, 3, 40)], words, 1e9)!;
    expect(far).toMatchObject({ payloadHex: HEX, pValue: 1 });
    // a ledger that claims fewer identifiers than were scanned is charged for those scanned
    const few = bestMatch([ev], [HEX, ...others(99, 4)], 1)!;
    expect(Math.log10(few.pValue)).toBeCloseTo(4 + 2 + Math.log10(RADEMACHER_TAIL_C) + log10NormalTail(z), 9);
    // more tests sharing the budget
    const charged = bestMatch(chargeEvidence([ev], 2), [HEX], 1e6)!;
    expect(charged.pValue / m.pValue).toBeCloseTo(2, 9);
  });

  it('matches nothing in unmarked readings, and its tail stays under the bound it charges', () => {
    const words = [HEX, ...others(199, 5)];
    let over3 = 0,
      tried = 0,
      decided = 0;
    for (let seed = 100; seed < 400; seed++) {
      const ev = evidence(0, seed, 0);
      if (matchIssued([ev], words, words.length)) decided++;
      // every word's z, not just the best (on a third of the readings: each call builds its tables)
      if (seed % 3) continue;
      for (const w of words.slice(0, 100)) {
        const m = bestMatch([ev], [w], 1);
        tried++;
        if (m && m.z >= 3) over3++;
      }
    }
    expect(decided).toBe(0);
    // P(z >= 3) <= 3.18 Q(3) = 0.0043 by the bound; a gaussian gives 0.00135
    expect(over3 / tried).toBeLessThanOrEqual(10 ** log10RademacherTail(3));
  });

  it('reads the picture and the sound together: z is their sum over root two, charged for every pair of alignments', () => {
    const issued = [...others(999, 10), HEX];
    // each alone scores z ~ 0.45 * sqrt(504 / 1.2) = 9.2, short of the budget at a billion issued
    // identifiers and 1e5 alignments each (10.5); together they score about 13
    const pictureScaled = evidence(0.45, 21);
    pictureScaled.soft = pictureScaled.soft.map((v) => 40 * v); // another unit: it must not matter
    pictureScaled.syncSum *= 40;
    pictureScaled.syncEnergy *= 1600;
    pictureScaled.payloadEnergy *= 1600;
    const sound = evidence(0.45, 22);
    const zp = bestMatch([pictureScaled], [HEX], 1)!.z,
      zs = bestMatch([sound], [HEX], 1)!.z;
    expect(matchIssued([pictureScaled], issued, 1e9)).toBeNull();
    expect(matchIssued([sound], issued, 1e9)).toBeNull();
    const joint = jointEvidence([pictureScaled], [sound]);
    expect(joint).toHaveLength(1);
    expect(joint[0]).toMatchObject({ source: 'picture+sound', log10Charge: 10 });
    const both = bestMatch(joint, [HEX], 1)!;
    expect(both.z).toBeCloseTo((zp + zs) / Math.SQRT2, 9);
    expect(matchIssued(joint, issued, 1e9)).toMatchObject({ payloadHex: HEX, source: 'picture+sound' });
    expect(jointEvidence([pictureScaled, sound], [sound])[0].log10Charge).toBeCloseTo(10 + Math.log10(2), 9);
  });

  it('refuses an identifier the ledger did not issue, malformed evidence, and a ledger too large to scan', async () => {
    const ev = evidence(0.6, 6);
    expect(matchIssued([ev], others(500, 7), 1e6)).toBeNull();
    expect(matchIssued([{ ...ev, soft: ev.soft.slice(1) }], [HEX], 1)).toBeNull();
    expect(matchIssued([{ ...ev, syncEnergy: 0, payloadEnergy: 0 }], [HEX], 1)).toBeNull();
    expect(matchIssued([], [HEX], 1)).toBeNull();
    expect(await matchLedger([ev], async () => null)).toBeNull();
    let scans = 0;
    const hit = await matchLedger([ev], async () => {
      scans++;
      return { payloads: [HEX.toUpperCase()], issuedCount: 10 };
    });
    expect(hit).toMatchObject({ payloadHex: HEX, source: 'sound', issuedCount: 10 });
    // nothing to match: the ledger is not scanned
    expect(await matchLedger([], async () => ({ payloads: [HEX], issuedCount: 1 }))).toBeNull();
    expect(scans).toBe(1);
  });

  it('scans a ledger larger than one slice in turns of the event loop and reaches the verdict of one pass', async () => {
    const ev = evidence(0.65, 8);
    // the issued identifier sits in the last of five slices of 10,000
    const issued = [...others(45_000, 9), HEX, ...others(100, 10)];
    let turns = 0,
      done = false;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const viaTurns = await matchLedger([ev], async () => ({ payloads: issued, issuedCount: issued.length }));
    done = true;
    expect(viaTurns).toEqual(matchIssued([ev], issued, issued.length));
    expect(viaTurns).toMatchObject({ payloadHex: HEX, issuedCount: issued.length });
    // other callbacks ran between the slices
    expect(turns).toBeGreaterThanOrEqual(2);
    // unmarked evidence against the same ledger: no verdict, as in one pass
    expect(
      await matchLedger([evidence(0, 11)], async () => ({ payloads: issued, issuedCount: 1e9 })),
    ).toBeNull();
  });
});
