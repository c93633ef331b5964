import {
  CODED_BITS,
  decodePayload,
  encodePayload,
  hexToBits,
  ISSUED_LIST_SIZE,
} from '../../../src/watermark/ecc';
import {
  decideByIssued,
  ISSUED_P_THRESHOLD,
  issuedCandidates,
  issuedPValue,
  lookUpIssued,
  reconcileWithLedger,
} from '../../../src/watermark/issued';
import { log10NormalTail, RADEMACHER_TAIL_C } from '../../../src/watermark/stats';
import { gaussian, rng } from '../../../bench/watermark/frames';

const HEX = '0f1e2d3c4b5a6978';

/** Soft values of HEX's coded bits at amplitude 1 plus gaussian noise of sigma. */
function noisy(sigma: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from(encodePayload(hexToBits(HEX)), (b) => (b ? -1 : 1) + sigma * gaussian(r));
}

describe('ledger-aided watermark decision', () => {
  it('decides a payload the code alone cannot, when it names an issued identifier', () => {
    // A weak sync (z 4 among 1e9 alignments) gives the code alone p = 1, far above 1e-9.
    let decided = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const dec = decodePayload(noisy(1.2, seed));
      const cs = issuedCandidates(dec, 4, 1e9, 3, 'picture');
      const hit = decideByIssued(cs, new Set([HEX]), 1e9);
      if (hit) {
        expect(hit.payloadHex).toBe(HEX);
        expect(hit.pValue).toBeLessThanOrEqual(ISSUED_P_THRESHOLD);
        decided++;
      }
    }
    // sigma 1.2 is where the 16-path list alone reads about 88% (ecc bench); the 64-deep list reads more
    expect(decided).toBeGreaterThanOrEqual(17);
  });

  it('charges (looks) x min(1, trials c Q(z)) x (rank + 1) x N x 2^-80', () => {
    const dec = decodePayload(noisy(0.3, 7));
    expect(dec.crcPasses[0]).toEqual({ payloadHex: HEX, rank: 0 });
    const [c] = issuedCandidates(dec, 6, 1000, 3, 'sound');
    const expected = Math.log10(3) + log10NormalTail(6) + 3 - 80 * Math.log10(2);
    expect(c.log10PerIssued).toBeCloseTo(expected, 9);
    expect(Math.log10(issuedPValue(c, 1e6))).toBeCloseTo(expected + 6, 9);
    // the sound's sync tail is bounded by 3.18 Q(z), a sum of random signs' (stats.ts)
    const [rad] = issuedCandidates(dec, 6, 1000, 3, 'sound', Math.log10(RADEMACHER_TAIL_C));
    expect(rad.log10PerIssued).toBeCloseTo(expected + Math.log10(RADEMACHER_TAIL_C), 9);
    // a sync that says nothing costs at most 1, never more
    const [weak] = issuedCandidates(dec, -3, 1e12, 1, 'sound');
    expect(weak.log10PerIssued).toBeCloseTo(-80 * Math.log10(2), 9);
  });

  it('refuses an identifier the ledger did not issue, and a ledger too large for the budget', () => {
    const cs = issuedCandidates(decodePayload(noisy(0.3, 8)), 2, 1e9, 3, 'picture');
    expect(decideByIssued(cs, new Set(['0123456789abcdef']), 1e9)).toBeNull();
    // 3 * 2^-80 * N > 1e-11 once N passes about 4e12
    expect(decideByIssued(cs, new Set([HEX]), 1e13)).toBeNull();
    expect(decideByIssued(cs, new Set([HEX]), 1e12)).not.toBeNull();
  });

  it('asks the ledger once about the distinct candidates and reports the N it charged', async () => {
    const cs = [
      ...issuedCandidates(decodePayload(noisy(0.3, 9)), 3, 100, 1, 'picture'),
      ...issuedCandidates(decodePayload(noisy(0.3, 10)), 3, 100, 1, 'sound'),
    ];
    const asked: string[][] = [];
    const d = await lookUpIssued(cs, async (ps) => {
      asked.push(ps);
      return { issued: new Set([HEX]), issuedCount: 5000 };
    });
    expect(asked).toEqual([[HEX]]);
    expect(d).toMatchObject({ payloadHex: HEX, issuedCount: 5000 });
    expect(await lookUpIssued([], async () => ({ issued: new Set(), issuedCount: 0 }))).toBeNull();
  });

  it('finds CRC-valid paths in pure noise no more often than the charge assumes', () => {
    // Each of the 64 list paths passes the CRC with probability 2^-16: about 1.95 in 2000 decodes.
    const r = rng(21);
    let passes = 0;
    for (let i = 0; i < 2000; i++)
      passes += decodePayload(Float64Array.from({ length: CODED_BITS }, () => gaussian(r))).crcPasses.length;
    const bound = (2000 * ISSUED_LIST_SIZE) / 2 ** 16;
    expect(passes).toBeLessThanOrEqual(bound + 4 * Math.sqrt(bound) + 2);
  });
  describe('a code decision the ledger never issued', () => {
    const OTHER = '0123456789abcdef';
    const UNKNOWN = 'ffffeeeeddddcccc';
    const ledger =
      (known: string[], asked: string[][] = []) =>
      async (ps: string[]) => {
        asked.push(ps);
        return { issued: new Set(known), issuedCount: 1e6 };
      };
    // HEX decoded from the sound at a sync that proves nothing on its own (z 3 among 1e4 alignments)
    const soundCandidates = issuedCandidates(decodePayload(noisy(0.3, 11)), 3, 1e4, 2, 'sound');

    it('keeps the preferred decision when the ledger issued it, asking once about every payload', async () => {
      const asked: string[][] = [];
      const r = await reconcileWithLedger(
        [
          { payloadHex: OTHER, source: 'picture' },
          { payloadHex: HEX, source: 'sound' },
        ],
        soundCandidates,
        ledger([OTHER, HEX], asked),
      );
      expect(r).toBeNull();
      expect(asked).toEqual([[OTHER, HEX]]);
    });

    it("takes the other mark's decision when only that one was issued", async () => {
      const r = await reconcileWithLedger(
        [
          { payloadHex: UNKNOWN, source: 'picture' },
          { payloadHex: HEX, source: 'sound' },
        ],
        soundCandidates,
        ledger([HEX]),
      );
      expect(r).toEqual({ decidedBy: 'code', payloadHex: HEX, source: 'sound' });
    });

    it('falls back to a candidate that names an issued identifier within the budget, and otherwise says none was issued', async () => {
      const r = await reconcileWithLedger(
        [{ payloadHex: UNKNOWN, source: 'picture' }],
        soundCandidates,
        ledger([HEX]),
      );
      expect(r).toMatchObject({ decidedBy: 'ledger', payloadHex: HEX, source: 'sound', issuedCount: 1e6 });
      expect(r && r.decidedBy === 'ledger' && r.pValue).toBeLessThanOrEqual(ISSUED_P_THRESHOLD);
      expect(
        await reconcileWithLedger([{ payloadHex: UNKNOWN, source: 'picture' }], soundCandidates, ledger([])),
      ).toEqual({ decidedBy: 'unissued' });
      // a ledger so large that the candidate no longer meets the budget
      expect(
        await reconcileWithLedger(
          [{ payloadHex: UNKNOWN, source: 'picture' }],
          soundCandidates,
          async () => ({
            issued: new Set([HEX]),
            issuedCount: 1e15,
          }),
        ),
      ).toEqual({ decidedBy: 'unissued' });
      expect(await reconcileWithLedger([], soundCandidates, ledger([HEX]))).toBeNull();
    });
  });
});
