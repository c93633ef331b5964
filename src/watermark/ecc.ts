/**
 * Error correction for the 64-bit payload: CRC-16 appended (the check that also feeds the
 * p-value: an unmarked input passes it with probability 2^-16), then a rate-1/3, constraint
 * length 7 convolutional code (generators 171/133/165 octal) decoded with soft Viterbi.
 */
export const PAYLOAD_BITS = 64;
export const CRC_BITS = 16;
const K = 7;
const GENS = [0o171, 0o133, 0o165];
export const INFO_BITS = PAYLOAD_BITS + CRC_BITS;
export const CODED_BITS = (INFO_BITS + K - 1) * GENS.length;

function parity(x: number): number {
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return x & 1;
}

export function crc16(bits: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bits) {
    const top = ((crc >> 15) & 1) ^ b;
    crc = (crc << 1) & 0xffff;
    if (top) crc ^= 0x1021;
  }
  return crc;
}

export function hexToBits(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) throw new RangeError('payload must be 16 hex digits (64 bits)');
  const bits = new Uint8Array(PAYLOAD_BITS);
  for (let i = 0; i < PAYLOAD_BITS; i++) bits[i] = (parseInt(hex[i >> 2], 16) >> (3 - (i & 3))) & 1;
  return bits;
}

export function bitsToHex(bits: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bits.length; i += 4)
    s += ((bits[i] << 3) | (bits[i + 1] << 2) | (bits[i + 2] << 1) | bits[i + 3]).toString(16);
  return s;
}

/** payload bits -> coded bits (0/1), with CRC and zero tail. */
export function encodePayload(payload: Uint8Array): Uint8Array {
  const info = new Uint8Array(INFO_BITS + K - 1);
  info.set(payload);
  const crc = crc16(payload);
  for (let i = 0; i < CRC_BITS; i++) info[PAYLOAD_BITS + i] = (crc >> (15 - i)) & 1;
  const out = new Uint8Array(CODED_BITS);
  let state = 0;
  for (let i = 0; i < info.length; i++) {
    state = ((state << 1) | info[i]) & 0x7f;
    for (let g = 0; g < GENS.length; g++) out[i * GENS.length + g] = parity(state & GENS[g]);
  }
  return out;
}

/**
 * A module constant, not the global: under a sandboxed global object (jest's vm context) every
 * read of `Infinity` is a slow property lookup, and the decoder's inner loop reads it constantly.
 */
const NEG_INF = -Infinity;

/** Paths the list decoder keeps per state; the CRC picks among them. */
export const LIST_SIZE = 16;
/**
 * Paths searched for identifiers the ledger issued (see issued.ts). Only the first LIST_SIZE can
 * decide on the code alone; a deeper path must also name an issued identifier, which an unmarked
 * input does with probability (rank + 1) * N * 2^-80.
 */
export const ISSUED_LIST_SIZE = 64;

export interface DecodedPayload {
  payload: Uint8Array;
  crcOk: boolean;
  /**
   * log10 of the chance that an unmarked input passes the CRC as early in the list as this one
   * did ((rank + 1) * 2^-16; 0 when no path passed): the CRC's share of the p-value.
   */
  crcLog10: number;
  /**
   * (rank + 1) * 2^-16, 1 when no path passed: how often a random wrong word passes the CRC this
   * early in the list (a damaged mark's wrong paths are not random words and pass more often).
   */
  crcPassRate: number;
  /** every path (best first, up to the decoder's depth) whose CRC holds, with its rank */
  crcPasses: { payloadHex: string; rank: number }[];
}

/**
 * What a detection reports of its decoding: the payload (and how often a random word would pass
 * its CRC this early) only when the mark was detected and the CRC holds; the raw best path always,
 * for bit-accuracy measurements.
 */
export function reportedPayload(
  detected: boolean,
  dec: DecodedPayload,
): { payloadHex: string | null; payloadCrcRate?: number; crcOk: boolean; rawPayloadHex: string } {
  const ok = detected && dec.crcOk;
  return {
    payloadHex: ok ? bitsToHex(dec.payload) : null,
    ...(ok ? { payloadCrcRate: dec.crcPassRate } : {}),
    crcOk: dec.crcOk,
    rawPayloadHex: bitsToHex(dec.payload),
  };
}

/**
 * CRC-aided list Viterbi (soft input). soft[i] > 0 means coded bit i is more likely 0. Each state
 * keeps its `listSize` best paths; the best path whose CRC holds is the payload, otherwise the best
 * path is returned with crcOk false. The list recovers payloads a single survivor loses by one or
 * two wrong branches, at the cost of a larger CRC share when a lower-ranked path is the one that passes.
 */
export function decodePayload(
  soft: Float64Array | Float32Array,
  listSize = LIST_SIZE,
  depth = ISSUED_LIST_SIZE,
): DecodedPayload {
  const decideWithin = Math.max(1, listSize);
  // The list Viterbi finds the L best paths exactly, so a deeper list keeps the first ones as they were.
  const L = Math.max(decideWithin, depth);
  const nStates = 1 << (K - 1);
  const steps = INFO_BITS + K - 1;
  let metric = new Float64Array(nStates * L).fill(NEG_INF);
  metric[0] = 0;
  let next = new Float64Array(nStates * L);
  // (predecessor state * L + predecessor rank) of each (step, state, rank).
  const back = new Int32Array(steps * nStates * L);
  const outs = new Int8Array(nStates * 2 * GENS.length);
  for (let s = 0; s < nStates; s++)
    for (let b = 0; b < 2; b++) {
      const reg = ((s << 1) | b) & 0x7f;
      for (let g = 0; g < GENS.length; g++)
        outs[(s * 2 + b) * GENS.length + g] = parity(reg & GENS[g]) ? -1 : 1;
    }
  const hiBit = 1 << (K - 2);
  for (let t = 0; t < steps; t++) {
    next.fill(NEG_INF);
    const s0 = soft[t * 3],
      s1 = soft[t * 3 + 1],
      s2 = soft[t * 3 + 2];
    const forceZero = t >= INFO_BITS;
    for (let ns = 0; ns < nStates; ns++) {
      const b = ns & 1;
      if (forceZero && b) continue;
      // The two predecessors differ in the bit shifted out; each list is sorted, so merge them.
      const pa = ns >> 1,
        pb = pa | hiBit;
      const oa = (pa * 2 + b) * 3,
        ob = (pb * 2 + b) * 3;
      const ba = outs[oa] * s0 + outs[oa + 1] * s1 + outs[oa + 2] * s2;
      const bb = outs[ob] * s0 + outs[ob + 1] * s1 + outs[ob + 2] * s2;
      let ia = 0,
        ib = 0;
      const base = ns * L;
      const bt = (t * nStates + ns) * L;
      for (let k = 0; k < L; k++) {
        const va = ia < L ? metric[pa * L + ia] + ba : NEG_INF;
        const vb = ib < L ? metric[pb * L + ib] + bb : NEG_INF;
        if (va === NEG_INF && vb === NEG_INF) break;
        if (va >= vb) {
          next[base + k] = va;
          back[bt + k] = pa * L + ia++;
        } else {
          next[base + k] = vb;
          back[bt + k] = pb * L + ib++;
        }
      }
    }
    const tmp = metric;
    metric = next;
    next = tmp;
  }
  const trace = (rank: number): Uint8Array => {
    const info = new Uint8Array(steps);
    let s = 0,
      k = rank;
    for (let t = steps - 1; t >= 0; t--) {
      info[t] = s & 1;
      const p = back[(t * nStates + s) * L + k];
      s = Math.floor(p / L);
      k = p % L;
    }
    return info;
  };
  const crcOf = (info: Uint8Array): boolean => {
    const payload = info.subarray(0, PAYLOAD_BITS);
    let crc = 0;
    for (let i = 0; i < CRC_BITS; i++) crc = (crc << 1) | info[PAYLOAD_BITS + i];
    return crc === crc16(payload);
  };
  const crcPasses: { payloadHex: string; rank: number }[] = [];
  let first: DecodedPayload | null = null;
  for (let k = 0; k < L && metric[k] !== NEG_INF; k++) {
    const info = trace(k);
    if (!crcOf(info)) continue;
    const payload = info.slice(0, PAYLOAD_BITS);
    crcPasses.push({ payloadHex: bitsToHex(payload), rank: k });
    if (!first && k < decideWithin)
      first = {
        payload,
        crcOk: true,
        crcLog10: Math.log10(k + 1) - CRC_BITS * Math.log10(2),
        crcPassRate: (k + 1) / 2 ** CRC_BITS,
        crcPasses,
      };
  }
  return (
    first ?? {
      payload: trace(0).slice(0, PAYLOAD_BITS),
      crcOk: false,
      crcLog10: 0,
      crcPassRate: 1,
      crcPasses,
    }
  );
}

/**
 * One decision from several decodings of the same chips (different readings of them): their lists
 * interleaved, so path k of decoding j ranks k * n + j. A CRC pass at merged rank m is charged
 * (m + 1) * 2^-16, which bounds the chance that any path ranked above it in any of the lists
 * passes for an unmarked input. The first decoding's best path is kept when none passes.
 */
export function mergeDecodes(decs: DecodedPayload[]): DecodedPayload {
  const n = decs.length;
  if (n === 1) return decs[0];
  const crcPasses = decs
    .flatMap((d, j) => d.crcPasses.map((c) => ({ payloadHex: c.payloadHex, rank: c.rank * n + j })))
    .sort((a, b) => a.rank - b.rank);
  let best: { d: DecodedPayload; rank: number } | null = null;
  for (const [j, d] of decs.entries()) {
    if (!d.crcOk) continue;
    const rank = Math.round(d.crcPassRate * 2 ** CRC_BITS - 1) * n + j;
    if (!best || rank < best.rank) best = { d, rank };
  }
  if (!best) return { ...decs[0], crcPasses };
  return {
    payload: best.d.payload,
    crcOk: true,
    crcLog10: Math.log10(best.rank + 1) - CRC_BITS * Math.log10(2),
    crcPassRate: (best.rank + 1) / 2 ** CRC_BITS,
    crcPasses,
  };
}
