import { CODED_BITS } from './ecc';
import { keyedPermutation, keyedSigns } from './keyed';

/**
 * How the chips of one tile are spent: a keyed subset carries a fixed sync sequence (used to find
 * the geometry and to score presence), the rest carry the coded payload bits, each bit spread over
 * several chips, every chip whitened by its own keyed sign.
 */
export interface ChipLayout {
  n: number;
  syncIdx: Int32Array;
  syncSign: Int8Array;
  payIdx: Int32Array;
  paySign: Int8Array;
  payBit: Int32Array;
}

export function makeLayout(key: Buffer, label: string, n: number, nSync: number): ChipLayout {
  const perm = keyedPermutation(key, `${label}/perm`, n);
  const signs = keyedSigns(key, `${label}/signs`, n);
  const syncIdx = perm.slice(0, nSync);
  const payIdx = perm.slice(nSync);
  const syncSign = new Int8Array(nSync);
  for (let i = 0; i < nSync; i++) syncSign[i] = signs[syncIdx[i]];
  const paySign = new Int8Array(payIdx.length);
  const payBit = new Int32Array(payIdx.length);
  for (let j = 0; j < payIdx.length; j++) {
    paySign[j] = signs[payIdx[j]];
    payBit[j] = j % CODED_BITS;
  }
  return { n, syncIdx, syncSign, payIdx, paySign, payBit };
}

/** Chip values (+-1) for a coded word; sync chips only when coded is null. */
export function chipValues(layout: ChipLayout, coded: Uint8Array | null): Float32Array {
  const v = new Float32Array(layout.n);
  for (let i = 0; i < layout.syncIdx.length; i++) v[layout.syncIdx[i]] = layout.syncSign[i];
  if (coded)
    for (let j = 0; j < layout.payIdx.length; j++)
      v[layout.payIdx[j]] = layout.paySign[j] * (coded[layout.payBit[j]] ? -1 : 1);
  return v;
}

/** Soft coded bits from per-chip soft values (positive = chip agrees with +1). */
export function softBits(layout: ChipLayout, chipSoft: Float64Array): Float64Array {
  const soft = new Float64Array(CODED_BITS);
  for (let j = 0; j < layout.payIdx.length; j++)
    soft[layout.payBit[j]] += layout.paySign[j] * chipSoft[layout.payIdx[j]];
  return soft;
}
