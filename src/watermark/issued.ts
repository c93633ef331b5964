import { CRC_BITS, PAYLOAD_BITS, type DecodedPayload } from './ecc';
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
  /** which mark it was read from (the matched test can read both together) */
  source: 'picture' | 'sound' | 'picture+sound';
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
  /** log10 of the factor on the normal tail that bounds the sync score's tail */
  tailLog10 = 0,
): IssuedCandidate[] {
  const sync = Math.min(0, log10NormalTail(z) + Math.log10(Math.max(1, trials)) + tailLog10);
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
  | ({ decidedBy: 'ledger' } & IssuedDecision)
  /** the ledger issued none of the decisions and no candidate names one within the budget */
  | { decidedBy: 'unissued' };

/**
 * The code decided, but on an identifier the ledger may never have issued: a path past the right
 * one can pass the CRC inside the list ((rank + 1) * 2^-16 of hard inputs), and an operator can
 * mark with any payload. The ledger can only identify what it issued, so when the preferred
 * decision is unknown to it, the other mark's decision is taken if the ledger knows that one, else
 * a candidate that names an issued identifier within the ledger-aided budget; 'unissued' when
 * neither helps (the caller can still run the matched test). null: keep the preferred decision
 * (the ledger knows it, or there was none). One ledger question.
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
  return d ? { decidedBy: 'ledger', ...d, issuedCount } : { decidedBy: 'unissued' };
}
