import { CODED_BITS, CRC_BITS, encodePayload, hexToBits, PAYLOAD_BITS, type DecodedPayload } from './ecc';
import { log10NormalTail } from './stats';

/**
 * The ledger-aided decision. The code alone must hold an unmarked input to p <= 1e-9 over 2^64
 * possible payloads, so a weak mark whose payload decodes right can still fall short. The service
 * knows more: only N of the 2^80 payload+CRC words were ever issued. An unmarked input makes a
 * given list path a CRC-valid issued word with probability N * 2^-80, whatever its sync score
 * (the payload chips are keyed independently of the sync chips), so a decoded path that names an
 * issued identifier has
 *
 *   p <= looks * min(1, trials * Q(z)) * (rank + 1) * N * 2^-80.
 *
 * Detection reports every CRC-valid path as a candidate with its p-value per issued identifier;
 * whoever holds the ledger looks them up and multiplies by N.
 */
export interface IssuedCandidate {
  payloadHex: string;
  /** log10 of the p-value this candidate has if it is one of N issued identifiers, for N = 1 */
  log10PerIssued: number;
  /** which mark it was read from */
  source: 'picture' | 'sound';
}

/** The ledger-aided test's share of the false-detection budget (the code's own test keeps 1e-9). */
export const ISSUED_P_THRESHOLD = 1e-11;

const LOG10_WORDS = (PAYLOAD_BITS + CRC_BITS) * Math.log10(2);

/**
 * Candidates of one decode. `decisions` counts the points that could have decoded (Bonferroni),
 * `trials` the alignments the sync score was chosen among.
 */
export function issuedCandidates(
  dec: DecodedPayload,
  z: number,
  trials: number,
  decisions: number,
  source: IssuedCandidate['source'],
): IssuedCandidate[] {
  const sync = Math.min(0, log10NormalTail(z) + Math.log10(Math.max(1, trials)));
  return dec.crcPasses.map((c) => ({
    payloadHex: c.payloadHex,
    log10PerIssued: Math.log10(Math.max(1, decisions)) + sync + Math.log10(c.rank + 1) - LOG10_WORDS,
    source,
  }));
}

/** The ledger, as the detector sees it: which of these payloads were issued, and how many in all. */
export type IssuedLookup = (
  payloads: string[],
) => Promise<{ issued: ReadonlySet<string>; issuedCount: number }>;

export interface IssuedDecision {
  payloadHex: string;
  pValue: number;
  source: IssuedCandidate['source'];
  /** the N the p-value was charged for */
  issuedCount: number;
}

/** Asks the ledger about the candidates and decides (null: none names an issued identifier in budget). */
export async function lookUpIssued(
  candidates: IssuedCandidate[],
  lookup: IssuedLookup,
): Promise<IssuedDecision | null> {
  if (!candidates.length) return null;
  const { issued, issuedCount } = await lookup([...new Set(candidates.map((c) => c.payloadHex))]);
  const d = decideByIssued(candidates, issued, issuedCount);
  return d ? { ...d, issuedCount } : null;
}

/** Multiplies every candidate's charge by `factor` (more tests sharing the budget). */
export function chargeCandidates(cs: IssuedCandidate[], factor: number): IssuedCandidate[] {
  const l = Math.log10(Math.max(1, factor));
  return cs.map((c) => ({ ...c, log10PerIssued: c.log10PerIssued + l }));
}

/** The p-value of a candidate that is one of `issuedCount` issued identifiers. */
export function issuedPValue(c: IssuedCandidate, issuedCount: number): number {
  return Math.min(1, Math.pow(10, c.log10PerIssued + Math.log10(Math.max(1, issuedCount))));
}

/**
 * The ledger-aided verdict: the best candidate that names an issued identifier, if its p-value
 * meets ISSUED_P_THRESHOLD. `issued` holds those of the candidates the ledger knows.
 */
export function decideByIssued(
  candidates: IssuedCandidate[],
  issued: ReadonlySet<string>,
  issuedCount: number,
): { payloadHex: string; pValue: number; source: IssuedCandidate['source'] } | null {
  let best: { payloadHex: string; pValue: number; source: IssuedCandidate['source'] } | null = null;
  for (const c of candidates) {
    if (!issued.has(c.payloadHex.toLowerCase())) continue;
    const pValue = issuedPValue(c, issuedCount);
    if (pValue <= ISSUED_P_THRESHOLD && (!best || pValue < best.pValue))
      best = { payloadHex: c.payloadHex.toLowerCase(), pValue, source: c.source };
  }
  return best;
}

/** What the code decided, per mark, in the order the report prefers them. */
export interface CodeDecision {
  payloadHex: string;
  source: IssuedCandidate['source'];
}

export type LedgerReconciliation =
  | { decidedBy: 'code'; payloadHex: string; source: IssuedCandidate['source'] }
  | ({ decidedBy: 'ledger' } & IssuedDecision);

/**
 * The code decided, but on an identifier the ledger may never have issued: a path past the right
 * one can pass the CRC inside the list ((rank + 1) * 2^-16 of hard inputs), and an operator can
 * mark with any payload. The ledger can only identify what it issued, so when the preferred
 * decision is unknown to it, the other mark's decision is taken if the ledger knows that one, else
 * a candidate that names an issued identifier within the ledger-aided budget. null: keep the
 * preferred decision (the ledger knows it, or nothing else does better). One ledger question.
 */
export async function reconcileWithLedger(
  decided: CodeDecision[],
  candidates: IssuedCandidate[],
  lookup: IssuedLookup,
): Promise<LedgerReconciliation | null> {
  if (!decided.length) return null;
  const codes = decided.map((d) => ({ ...d, payloadHex: d.payloadHex.toLowerCase() }));
  const { issued, issuedCount } = await lookup([
    ...new Set([...codes.map((d) => d.payloadHex), ...candidates.map((c) => c.payloadHex.toLowerCase())]),
  ]);
  if (issued.has(codes[0].payloadHex)) return null;
  const known = codes.find((d) => issued.has(d.payloadHex));
  if (known) return { decidedBy: 'code', ...known };
  const d = decideByIssued(candidates, issued, issuedCount);
  return d ? { decidedBy: 'ledger', ...d, issuedCount } : null;
}

/**
 * What a reading of one mark saw at the alignment it chose, kept so that the ledger can test its
 * issued identifiers against it directly (matchIssued). Numbers only: no samples, no pixels.
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

/** The matched test's own share of the false-detection budget, beside the list test's. */
export const MATCH_P_THRESHOLD = 1e-11;

/**
 * More than this many issued identifiers are not scanned one by one: the caller keeps to the list
 * test (measured: ~0.9 us an identifier, so the largest scan costs about 0.2 s; see the bench).
 */
export const ISSUED_SCAN_LIMIT = 250_000;

/**
 * The matched test. The decoder must find the payload among 2^64, so it needs a mark about a third
 * stronger than one that only has to be told apart from N issued words. For each issued
 * identifier, its coded word's chip signs are correlated with the reading's soft values, sync and
 * payload units together:
 *
 *   z = (syncSum + sum_b (1 - 2 c_b) soft_b) / sqrt(syncEnergy + payloadEnergy).
 *
 * For an unmarked input each unit's sign is a keyed coin independent of its magnitude (the host
 * and the keyed dither set the magnitude, the sync and whitening signs are keyed apart), so the
 * numerator is a Rademacher sum and P(z >= t) <= exp(-t^2 / 2) (Hoeffding) at every alignment and
 * for every word; the union over the alignments searched and the N identifiers gives
 *
 *   p <= 10^log10Charge * N * exp(-z^2 / 2).
 *
 * Returns the best identifier within MATCH_P_THRESHOLD, or null.
 */
export function matchIssued(
  evidence: MarkEvidence[],
  payloads: readonly string[],
  issuedCount: number,
): IssuedDecision | null {
  const m = bestMatch(evidence, payloads, issuedCount);
  return m && m.pValue <= MATCH_P_THRESHOLD ? m : null;
}

/** The identifier whose coded word the evidence matches best, with its p-value (threshold not applied). */
export function bestMatch(
  evidence: MarkEvidence[],
  payloads: readonly string[],
  issuedCount: number,
): (IssuedDecision & { z: number }) | null {
  const n = Math.max(1, issuedCount, payloads.length);
  let best: (IssuedDecision & { z: number }) | null = null;
  let bestLog10 = Infinity;
  const codes = payloads
    .filter((p) => /^[0-9a-fA-F]{16}$/.test(p))
    .map((p) => ({ p: p.toLowerCase(), code: encodePayload(hexToBits(p)) }));
  for (const ev of evidence) {
    const den = Math.sqrt(ev.syncEnergy + ev.payloadEnergy);
    if (ev.soft.length !== CODED_BITS || !(den > 0)) continue;
    const soft = Float64Array.from(ev.soft);
    for (const { p, code } of codes) {
      let num = ev.syncSum;
      for (let b = 0; b < CODED_BITS; b++) num += code[b] ? -soft[b] : soft[b];
      const z = num / den;
      const log10P = Math.min(0, ev.log10Charge + Math.log10(n) - (z * z * Math.LOG10E) / 2);
      if (z > 0 && log10P < bestLog10) {
        bestLog10 = log10P;
        best = { payloadHex: p, pValue: Math.pow(10, log10P), source: ev.source, issuedCount: n, z };
      }
    }
  }
  return best;
}

/** Charges every evidence for more tests sharing the budget (as chargeCandidates does). */
export function chargeEvidence(evs: MarkEvidence[], factor: number): MarkEvidence[] {
  const l = Math.log10(Math.max(1, factor));
  return evs.map((e) => ({ ...e, log10Charge: e.log10Charge + l }));
}

/**
 * Every identifier the ledger issued, for the matched test, or null when there are more than
 * ISSUED_SCAN_LIMIT (a scan would cost more than the verification it serves).
 */
export type IssuedScan = () => Promise<{ payloads: string[]; issuedCount: number } | null>;

/** The matched test against the whole ledger (null: nothing matched, or the ledger is too large to scan). */
export async function matchLedger(
  evidence: MarkEvidence[],
  scan: IssuedScan,
): Promise<IssuedDecision | null> {
  if (!evidence.length) return null;
  const s = await scan();
  return s ? matchIssued(evidence, s.payloads, s.issuedCount) : null;
}
