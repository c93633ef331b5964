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
 * Soft Viterbi. soft[i] > 0 means coded bit i is more likely 0. Returns the payload and whether
 * its CRC matched.
 */
export function decodePayload(soft: Float64Array | Float32Array): { payload: Uint8Array; crcOk: boolean } {
  const nStates = 1 << (K - 1);
  const steps = INFO_BITS + K - 1;
  let metric = new Float64Array(nStates).fill(-Infinity);
  metric[0] = 0;
  let next = new Float64Array(nStates);
  const decisions = new Uint8Array(steps * nStates);
  // Precompute output of (state, input).
  const outs = new Int8Array(nStates * 2 * GENS.length);
  for (let s = 0; s < nStates; s++)
    for (let b = 0; b < 2; b++) {
      const reg = ((s << 1) | b) & 0x7f;
      for (let g = 0; g < GENS.length; g++)
        outs[(s * 2 + b) * GENS.length + g] = parity(reg & GENS[g]) ? -1 : 1;
    }
  for (let t = 0; t < steps; t++) {
    next.fill(-Infinity);
    const s0 = soft[t * 3],
      s1 = soft[t * 3 + 1],
      s2 = soft[t * 3 + 2];
    const forceZero = t >= INFO_BITS;
    for (let s = 0; s < nStates; s++) {
      const m = metric[s];
      if (m === -Infinity) continue;
      for (let b = 0; b < (forceZero ? 1 : 2); b++) {
        const o = (s * 2 + b) * 3;
        const v = m + outs[o] * s0 + outs[o + 1] * s1 + outs[o + 2] * s2;
        const ns = ((s << 1) | b) & (nStates - 1);
        if (v > next[ns]) {
          next[ns] = v;
          decisions[t * nStates + ns] = s >> (K - 2); // the bit shifted out identifies the predecessor
        }
      }
    }
    const tmp = metric;
    metric = next;
    next = tmp;
  }
  const info = new Uint8Array(steps);
  let s = 0;
  for (let t = steps - 1; t >= 0; t--) {
    info[t] = s & 1;
    const hi = decisions[t * nStates + s];
    s = (s >> 1) | (hi << (K - 2));
  }
  const payload = info.slice(0, PAYLOAD_BITS);
  let crc = 0;
  for (let i = 0; i < CRC_BITS; i++) crc = (crc << 1) | info[PAYLOAD_BITS + i];
  return { payload, crcOk: crc === crc16(payload) };
}
