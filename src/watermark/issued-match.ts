import { CODED_BITS, encodePayload, PAYLOAD_BITS } from './ecc';
import { log10RademacherTail } from './stats';
import type { IssuedCandidate, IssuedDecision } from './issued';

/**
 * The matched test: a reading that found the mark's sync but cannot decode its payload is tested
 * against each identifier the ledger issued. The decoder must find the payload among 2^64, so it
 * needs a stronger mark than a test that only has to tell N issued words apart. For each issued
 * identifier its coded word's chip signs are correlated with the reading's soft values, sync and
 * payload units together:
 *
 *   z = (syncSum + sum_b (1 - 2 c_b) soft_b) / sqrt(syncEnergy + payloadEnergy).
 *
 * For an unmarked input each unit's sign is a keyed coin independent of its magnitude (the host
 * and the keyed dither set the magnitude; the sync and whitening signs are keyed apart), so the
 * numerator is a weighted Rademacher sum, and at every alignment and for every word
 * P(z >= t) <= 3.18 Q(t), Q the normal tail (Bentkus and Dzindzalieta's optimal constant; see
 * stats.ts). Near the threshold (z about 10) that is 8 times less than Hoeffding's exp(-t^2 / 2),
 * which it replaced: on 204 3 s windows of four keys and sources, identified against a ledger of
 * 1e9 / 250,000, white noise 20 dB 146 -> 152 / 159 -> 164, AAC 64k 191 -> 195 / 204 -> 204.
 * The union over the alignments searched and the N identifiers gives
 *
 *   p <= 10^log10Charge * N * 3.18 Q(z).
 */

/**
 * What a reading of one mark saw at the alignment it chose, kept so that the ledger can test its
 * issued identifiers against it. Numbers only: no samples, no pixels.
 */
export interface MarkEvidence {
  source: IssuedCandidate['source'];
  /** per coded bit: the sum over its units of the unit's soft value times its whitening sign */
  soft: number[];
  /** the sum of squared unit soft values over the payload units */
  payloadEnergy: number;
  /** the sync units' agreement with their known signs, and their sum of squares */
  syncSum: number;
  syncEnergy: number;
  /** log10 of the hypotheses this reading's alignment was chosen among, times its readings and looks */
  log10Charge: number;
}

/** The matched test's own share of the false-detection budget, beside the list test's 1e-11. */
export const MATCH_P_THRESHOLD = 1e-11;

/**
 * Ledgers larger than this are not scanned (the caller keeps to the list test, which asks about a
 * few identifiers). A scan costs 0.5-1.3 us of CPU an identifier a reading (`npm run bench --
 * watermark`, audio section; the higher figure on a loaded machine). An unmarked clip offers two
 * picture readings, so the largest ledger costs it about half a second.
 */
export const ISSUED_SCAN_LIMIT = 250_000;

/** Every identifier the ledger issued, or null when there are more than ISSUED_SCAN_LIMIT. */
export type IssuedScan = () => Promise<{ payloads: string[]; issuedCount: number } | null>;

const WORDS = Math.ceil(CODED_BITS / 32);
const BYTES = PAYLOAD_BITS / 8;

function packed(code: Uint8Array): Int32Array {
  const w = new Int32Array(WORDS);
  for (let b = 0; b < CODED_BITS; b++) if (code[b]) w[b >> 5] |= 1 << (b & 31);
  return w;
}

/**
 * The coded word is affine in the payload bits (a CRC with a non-zero start, then a convolutional
 * code: both linear over GF(2)), so code(p) = code(0) xor, per payload byte j, (code(byte j alone)
 * xor code(0)). Tables of those per-byte terms turn a word into 8 lookups of packed bits.
 */
let tables: { zero: Int32Array; byByte: Int32Array } | null = null;
function codeTables(): { zero: Int32Array; byByte: Int32Array } {
  if (tables) return tables;
  const zero = packed(encodePayload(new Uint8Array(PAYLOAD_BITS)));
  const byByte = new Int32Array(BYTES * 256 * WORDS);
  const bits = new Uint8Array(PAYLOAD_BITS);
  for (let j = 0; j < BYTES; j++)
    for (let v = 0; v < 256; v++) {
      bits.fill(0);
      for (let k = 0; k < 8; k++) bits[8 * j + k] = (v >> (7 - k)) & 1;
      const w = packed(encodePayload(bits));
      for (let i = 0; i < WORDS; i++) byByte[(j * 256 + v) * WORDS + i] = w[i] ^ zero[i];
    }
  tables = { zero, byByte };
  return tables;
}

/** The coded word of a 16-hex-digit payload as packed bits (bit b of word b >> 5), or null if malformed. */
export function packedCode(hex: string, out: Int32Array = new Int32Array(WORDS)): Int32Array | null {
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) return null;
  const { zero, byByte } = codeTables();
  out.set(zero);
  for (let j = 0; j < BYTES; j++) {
    const v = parseInt(hex.slice(2 * j, 2 * j + 2), 16);
    const o = (j * 256 + v) * WORDS;
    for (let i = 0; i < WORDS; i++) out[i] ^= byByte[o + i];
  }
  return out;
}

/** Per byte of a packed word, the signed sum of its 8 soft values for each of the 256 bit patterns. */
function softTables(soft: number[]): Float64Array {
  const nBytes = WORDS * 4;
  const t = new Float64Array(nBytes * 256);
  for (let y = 0; y < nBytes; y++)
    for (let v = 0; v < 256; v++) {
      let s = 0;
      for (let k = 0; k < 8; k++) {
        const b = 8 * y + k;
        if (b < CODED_BITS) s += (v >> k) & 1 ? -soft[b] : soft[b];
      }
      t[y * 256 + v] = s;
    }
  return t;
}

/** The identifier whose coded word the evidence matches best, with its p-value (threshold not applied). */
export function bestMatch(
  evidence: MarkEvidence[],
  payloads: readonly string[],
  issuedCount: number,
): (IssuedDecision & { z: number }) | null {
  const n = Math.max(1, issuedCount, payloads.length);
  const usable = evidence.filter(
    (ev) => ev.soft.length === CODED_BITS && ev.syncEnergy + ev.payloadEnergy > 0,
  );
  if (!usable.length) return null;
  const tabs = usable.map((ev) => softTables(ev.soft));
  const dens = usable.map((ev) => Math.sqrt(ev.syncEnergy + ev.payloadEnergy));
  let best: (IssuedDecision & { z: number }) | null = null;
  let bestLog10 = Infinity;
  const code = new Int32Array(WORDS);
  for (const p of payloads) {
    if (!packedCode(p, code)) continue;
    for (let e = 0; e < usable.length; e++) {
      const t = tabs[e];
      let num = usable[e].syncSum;
      for (let i = 0; i < WORDS; i++) {
        const w = code[i],
          o = i * 1024;
        num += t[o + (w & 255)] + t[o + 256 + ((w >>> 8) & 255)] + t[o + 512 + ((w >>> 16) & 255)];
        num += t[o + 768 + (w >>> 24)];
      }
      const z = num / dens[e];
      if (z <= 0) continue;
      // compared unclamped: far from deciding, every p-value would clamp to 1 and tie
      const log10P = usable[e].log10Charge + Math.log10(n) + log10RademacherTail(z);
      if (log10P < bestLog10) {
        bestLog10 = log10P;
        best = {
          payloadHex: p.toLowerCase(),
          pValue: Math.pow(10, Math.min(0, log10P)),
          source: usable[e].source,
          issuedCount: n,
          z,
        };
      }
    }
  }
  return best;
}

/**
 * The decoded-word test, the code's own matched test: when the list decoder finds a CRC-valid path
 * but the sync alone is short of deciding, that path's coded word is correlated with the reading
 * as the matched test correlates an issued identifier's, charged for every CRC-valid word there
 * could have been (2^64) instead of N issued. On talking-a cropped to half its area at an offset
 * and halved, the sync z 6.7 with the CRC holding is p 4.4e-9 by the list test, while the word's
 * z over all 1024 chips, 13.7, is p 1.5e-16 with the 2^64 and the quick path's 1.3e6 alignments
 * charged. Its own share of the false-detection budget, beside the list test's 1e-9.
 */
export const DECODED_WORD_P_THRESHOLD = 1e-11;
const CRC_VALID_WORDS = 2 ** PAYLOAD_BITS;

/** The decoded word that the evidence matches within DECODED_WORD_P_THRESHOLD, or null. */
export function matchDecoded(
  evidence: MarkEvidence[],
  words: readonly string[],
): (IssuedDecision & { z: number }) | null {
  if (!words.length) return null;
  const m = bestMatch(evidence, words, CRC_VALID_WORDS);
  return m && m.pValue <= DECODED_WORD_P_THRESHOLD ? m : null;
}

/** The matched test's verdict: the best identifier within MATCH_P_THRESHOLD, or null. */
export function matchIssued(
  evidence: MarkEvidence[],
  payloads: readonly string[],
  issuedCount: number,
): IssuedDecision | null {
  const m = bestMatch(evidence, payloads, issuedCount);
  if (!m || m.pValue > MATCH_P_THRESHOLD) return null;
  return { payloadHex: m.payloadHex, pValue: m.pValue, source: m.source, issuedCount: m.issuedCount };
}

/**
 * The picture's and the sound's readings taken together: both marks carry the same coded word and
 * their keyed signs are drawn apart, so the sums add and stay a Rademacher sum. Each reading is
 * scaled to unit energy first (their units differ; the scale does not look at the signs), so the
 * joint z is the two z's summed over root two. The union is over every pair of alignments (the
 * charges multiply) and every pair of readings.
 */
export function jointEvidence(picture: MarkEvidence[], sound: MarkEvidence[]): MarkEvidence[] {
  const pairs = picture.length * sound.length;
  const out: MarkEvidence[] = [];
  for (const p of picture)
    for (const s of sound) {
      const ep = p.syncEnergy + p.payloadEnergy,
        es = s.syncEnergy + s.payloadEnergy;
      if (p.soft.length !== CODED_BITS || s.soft.length !== CODED_BITS || !(ep > 0) || !(es > 0)) continue;
      const a = 1 / Math.sqrt(ep),
        c = 1 / Math.sqrt(es);
      out.push({
        source: 'picture+sound',
        soft: p.soft.map((v, b) => a * v + c * s.soft[b]),
        payloadEnergy: a * a * p.payloadEnergy + c * c * s.payloadEnergy,
        syncSum: a * p.syncSum + c * s.syncSum,
        syncEnergy: a * a * p.syncEnergy + c * c * s.syncEnergy,
        log10Charge: p.log10Charge + s.log10Charge + Math.log10(pairs),
      });
    }
  return out;
}

/** Charges every evidence for more tests sharing the budget (as chargeCandidates does). */
export function chargeEvidence(evs: MarkEvidence[], factor: number): MarkEvidence[] {
  const l = Math.log10(Math.max(1, factor));
  return evs.map((e) => ({ ...e, log10Charge: e.log10Charge + l }));
}

/** The matched test against the whole ledger (null: nothing matched, or the ledger is too large to scan). */
export async function matchLedger(
  evidence: MarkEvidence[],
  scan: IssuedScan,
): Promise<IssuedDecision | null> {
  if (!evidence.length) return null;
  const s = await scan();
  if (!s) return null;
  // The scan runs on the thread that serves HTTP: a ledger of 250,000 costs it 0.1-0.3 s of CPU
  // per reading, so it goes in slices with a turn of the event loop between them. Each slice is
  // charged for the whole ledger, so the best slice is the best of the whole scan.
  let best: (IssuedDecision & { z: number }) | null = null;
  for (let i = 0; i < s.payloads.length; i += SCAN_SLICE) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const m = bestMatch(
      evidence,
      s.payloads.slice(i, i + SCAN_SLICE),
      Math.max(s.issuedCount, s.payloads.length),
    );
    if (m && (!best || m.pValue < best.pValue || (m.pValue === best.pValue && m.z > best.z))) best = m;
  }
  if (!best || best.pValue > MATCH_P_THRESHOLD) return null;
  return {
    payloadHex: best.payloadHex,
    pValue: best.pValue,
    source: best.source,
    issuedCount: best.issuedCount,
  };
}

/** Identifiers matched between turns of the event loop (5-15 ms of CPU a reading). */
const SCAN_SLICE = 10_000;
