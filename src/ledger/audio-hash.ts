/**
 * Robust audio sub-fingerprints in the manner of Haitsma and Kalker: for each half-second window,
 * 32 bits saying whether the energy difference between adjacent log-spaced bands grew or shrank
 * since the previous window. Codecs (AAC, MP3) and level changes keep those signs.
 */
import { fft } from '../media/fft';
import { bitsToHex, popcountHex } from './hamming';

export const AUDIO_RATE = 8000;
const WINDOW = 4096;
const HOP = 4000; // half a second at 8 kHz
const BANDS = 33;
const LOW_HZ = 300;
const HIGH_HZ = 3000;
/** Windows quieter than this mean square (of 16-bit samples) are silence. */
const MIN_POWER = 1e3;
/** A window whose band differences barely moved since the last one is a held tone: no information. */
const MIN_CHANGE = 0.15;

const EDGES: number[] = (() => {
  const e: number[] = [];
  for (let b = 0; b <= BANDS; b++) {
    const hz = LOW_HZ * Math.pow(HIGH_HZ / LOW_HZ, b / BANDS);
    e.push(Math.round((hz * WINDOW) / AUDIO_RATE));
  }
  return e;
})();

const HANN: Float64Array = (() => {
  const w = new Float64Array(WINDOW);
  for (let i = 0; i < WINDOW; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (WINDOW - 1));
  return w;
})();

function bandEnergies(pcm: Int16Array, start: number): Float64Array | null {
  const re = new Float64Array(WINDOW);
  const im = new Float64Array(WINDOW);
  let power = 0;
  for (let i = 0; i < WINDOW; i++) {
    const s = pcm[start + i];
    power += s * s;
    re[i] = s * HANN[i];
  }
  if (power / WINDOW < MIN_POWER) return null;
  fft(re, im);
  const e = new Float64Array(BANDS);
  for (let b = 0; b < BANDS; b++) {
    let s = 0;
    for (let k = EDGES[b]; k < Math.max(EDGES[b + 1], EDGES[b] + 1); k++) s += re[k] * re[k] + im[k] * im[k];
    e[b] = Math.log(s + 1e-9);
  }
  return e;
}

/** Sub-fingerprints (8 hex characters each) of mono 16-bit PCM at AUDIO_RATE. */
export function audioSubFingerprints(pcm: Int16Array): string[] {
  const out: string[] = [];
  let prev: Float64Array | null = null;
  for (let start = 0; start + WINDOW <= pcm.length; start += HOP) {
    const e = bandEnergies(pcm, start);
    if (e && prev) {
      const bits = new Uint8Array(32);
      let change = 0;
      for (let m = 0; m < 32; m++) {
        const d = e[m] - e[m + 1] - (prev[m] - prev[m + 1]);
        change = Math.max(change, Math.abs(d));
        bits[m] = d > 0 ? 1 : 0;
      }
      const hex = bitsToHex(bits);
      const ones = popcountHex(hex);
      if (change >= MIN_CHANGE && ones >= 4 && ones <= 28) out.push(hex);
    }
    prev = e;
  }
  return out;
}
