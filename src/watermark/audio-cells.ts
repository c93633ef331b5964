import { fft, nextPow2 } from '../media/fft';
import { BANDS, BANDS_PER_OCT, CHIP_SEC, F0 } from './audio-lattice';

/**
 * The sound mark's measurements: band energies per chip (cells) of a 16 kHz mono signal, the
 * same on both sides. The embedder measures what its gains achieved and corrects towards the
 * lattice; the detector measures at every alignment it tries.
 */

/**
 * Fraction of a chip ignored at each edge when measuring (gain transitions, time offsets). The
 * embedder measures the same cells, so it corrects what the transitions smear; measuring 76% of
 * each chip instead of 40% averages codec noise over twice the frames (AAC 64k, 3 s: mean sync z
 * 7.0 -> 8.0 on the speech fixtures).
 */
const GUARD = 0.12;
export const SILENCE_RMS = 1e-4; // about -80 dBFS: frames quieter than this are left alone
/** a cell with less power than this (per sample, in the band) is treated as silent */
const CELL_FLOOR = 1e-12;
/** Marks are measured at this rate (the embedder resamples its mix, the detector its input). */
export const MEASURE_SR = 16000;
/** Analysis frames in seconds, so cells measure the same thing at every sample rate. */
const WIN_SEC = 0.024;
export const HOP_SEC = 0.004;

export function bandOf(f: number): number {
  if (f < F0) return -1;
  const b = Math.floor(Math.log2(f / F0) * BANDS_PER_OCT);
  return b < BANDS ? b : -1;
}

/** Band edges in Hz (band b spans EDGES[b] to EDGES[b + 1]). */
const EDGES = Array.from({ length: BANDS + 1 }, (_, b) => F0 * 2 ** (b / BANDS_PER_OCT));

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Power spectrogram restricted to the bins that can fall in a band at any searched scale. */
interface Layer {
  N: number;
  kMin: number;
  nk: number;
  pow: Float32Array;
  /** bands this layer measures: [b0, b1) */
  b0: number;
  b1: number;
}
export interface Spectrogram {
  sr: number;
  nFrames: number;
  layers: Layer[];
  loud: Uint8Array;
}

/**
 * The lowest octave's bands (43-75 Hz wide) are measured with a window of LONG_WIN_SEC: a 24 ms
 * window resolves about 80 Hz, so those cells mostly measured their neighbours and the embedder
 * could not move them onto the lattice (mean agreement at the true alignment 0.53-0.57 against
 * 0.8-0.95 in the octaves above; 0.72-0.75 with this window). Measured with the full detector on
 * 3 s windows of four sources (51 a key and payload; ledger of 1e9 / the 250,000 the service
 * scans): white noise 20 dB, four keys or payloads, 119 -> 138 / 140 -> 153 of 204 identified;
 * AAC 64k, three, 148 -> 150 / 152 -> 152 of 153, read by the code alone 98 -> 115. 48 ms over
 * the two lowest octaves did about as well (noise 69, AAC 100 of 102 at 1e9).
 */
const LONG_WIN_SEC = 0.064;
const LONG_BANDS = BANDS_PER_OCT;

function layer(
  pcm: Float32Array,
  sr: number,
  nFrames: number,
  winSec: number,
  b0: number,
  b1: number,
  loud: Uint8Array | null,
): Layer {
  const W = Math.round(winSec * sr);
  const N = nextPow2(W);
  const hop = HOP_SEC * sr;
  const win = hann(W);
  // every layer's frame t is centred where the short window's frame t is
  const lead = Math.round((W - Math.round(WIN_SEC * sr)) / 2);
  const kMin = Math.max(1, Math.floor((EDGES[b0] * 0.9 * N) / sr));
  const kMax = Math.min(N / 2 - 1, Math.ceil((EDGES[b1] * 1.1 * N) / sr));
  const nk = Math.max(0, kMax - kMin + 1);
  const pow = new Float32Array(nFrames * nk);
  const re = new Float64Array(N),
    im = new Float64Array(N);
  for (let t = 0; t < nFrames; t++) {
    const s0 = Math.round(t * hop) - lead;
    let e = 0;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < W; i++) {
      const j = s0 + i;
      if (j < 0 || j >= pcm.length) continue;
      const v = pcm[j];
      re[i] = v * win[i];
      e += v * v;
    }
    if (loud) loud[t] = Math.sqrt(e / W) >= SILENCE_RMS ? 1 : 0;
    fft(re, im);
    for (let k = 0; k < nk; k++) {
      const kk = k + kMin;
      pow[t * nk + k] = (re[kk] * re[kk] + im[kk] * im[kk]) / (N * W);
    }
  }
  return { N, kMin, nk, pow, b0, b1 };
}

/**
 * The low bands are measured with a longer window: they are 43-75 Hz wide, narrower than what a
 * 24 ms window resolves, so their energies would mostly be their neighbours'.
 */
export function spectrogram(pcm: Float32Array, sr: number): Spectrogram {
  const W = Math.round(WIN_SEC * sr);
  const hop = HOP_SEC * sr;
  const nFrames = pcm.length >= W ? Math.floor((pcm.length - W) / hop) + 1 : 0;
  const loud = new Uint8Array(nFrames);
  const layers = [layer(pcm, sr, nFrames, WIN_SEC, LONG_BANDS, BANDS, loud)];
  if (LONG_BANDS > 0) layers.push(layer(pcm, sr, nFrames, LONG_WIN_SEC, 0, LONG_BANDS, null));
  return { sr, nFrames, layers, loud };
}

/**
 * Band energies for a frequency scale fs (detected Hz = original Hz * fs), as prefix sums over
 * frames (so a cell is two lookups), plus a prefix count of silent frames. Each bin's power is
 * split between bands by how much of its width falls in each, so a band integrates the same
 * stretch of spectrum whatever the FFT size.
 */
export interface BandPrefix {
  /** frames [base, base + nFrames) */
  base: number;
  nFrames: number;
  /** (nFrames + 1) x BANDS */
  cum: Float64Array;
  /** nFrames + 1 */
  quiet: Int32Array;
}

export function bandPrefix(sp: Spectrogram, fs: number, base = 0, end = sp.nFrames): BandPrefix {
  const { sr } = sp;
  const nFrames = end - base;
  const cum = new Float64Array((nFrames + 1) * BANDS);
  const quiet = new Int32Array(nFrames + 1);
  for (const L of sp.layers) {
    const { N, kMin, nk, pow } = L;
    const df = sr / N / fs;
    const bins: number[] = [],
      bands: number[] = [],
      weights: number[] = [];
    for (let k = 0; k < nk; k++) {
      const lo = (k + kMin - 0.5) * df,
        hi = (k + kMin + 0.5) * df;
      for (let b = L.b0; b < L.b1; b++) {
        const w = (Math.min(hi, EDGES[b + 1]) - Math.max(lo, EDGES[b])) / df;
        if (w > 0) {
          bins.push(k);
          bands.push(b);
          weights.push(w);
        }
      }
    }
    const n = bins.length;
    for (let t = 0; t < nFrames; t++) {
      const o = (t + 1) * BANDS,
        r = (t + base) * nk;
      for (let b = L.b0; b < L.b1; b++) cum[o + b] = cum[o - BANDS + b];
      for (let i = 0; i < n; i++) cum[o + bands[i]] += weights[i] * pow[r + bins[i]];
    }
  }
  for (let t = 0; t < nFrames; t++) quiet[t + 1] = quiet[t] + (sp.loud[t + base] ? 0 : 1);
  return { base, nFrames, cum, quiet };
}

export interface Cells {
  /** ln(energy) per (chip, band), NaN where silent */
  logE: Float64Array;
  /** energy relative to the chip's mean band energy */
  rel: Float64Array;
  /** energy over the band's floor (its quietest chip in the window); null unless asked */
  overFloor: Float64Array | null;
  nChips: number;
  /** chip index (in original time) of the first cell */
  firstChip: number;
}

/**
 * Cells over frames [f0, f1): chip k holds the frames whose original time
 * tau = tFrame * ts + offset lies in the central part [k + GUARD, k + 1 - GUARD] * CHIP_SEC.
 */
export function cells(bp: BandPrefix, ts: number, offset: number, floorAware = false): Cells {
  const { cum, quiet, base } = bp;
  const f0 = base,
    f1 = base + bp.nFrames;
  // frame t is centred at t * HOP_SEC + WIN_SEC / 2 (seconds of the measured signal)
  const frameAt = (x: number): number => ((x * CHIP_SEC - offset) / ts - WIN_SEC / 2) / HOP_SEC;
  const chipOf = (t: number): number => ((t * HOP_SEC + WIN_SEC / 2) * ts + offset) / CHIP_SEC;
  const firstChip = Math.ceil(chipOf(f0) - GUARD);
  const lastChip = Math.floor(chipOf(f1 - 1) - (1 - GUARD));
  const nChips = Math.max(0, lastChip - firstChip + 1);
  const logE = new Float64Array(nChips * BANDS).fill(NaN);
  const rel = new Float64Array(nChips * BANDS);
  for (let c = 0; c < nChips; c++) {
    const k = c + firstChip;
    const t0 = Math.max(f0, Math.ceil(frameAt(k + GUARD))),
      t1 = Math.min(f1 - 1, Math.floor(frameAt(k + 1 - GUARD)));
    if (t1 < t0 || quiet[t1 + 1 - base] - quiet[t0 - base] > 0) continue;
    let mean = 0;
    const o = c * BANDS;
    for (let b = 0; b < BANDS; b++) {
      const e = (cum[(t1 + 1 - base) * BANDS + b] - cum[(t0 - base) * BANDS + b]) / (t1 - t0 + 1);
      rel[o + b] = e;
      mean += e / BANDS;
      if (e >= CELL_FLOOR) logE[o + b] = Math.log(e);
    }
    for (let b = 0; b < BANDS; b++) rel[o + b] = mean > 0 ? rel[o + b] / mean : 0;
  }
  const of = floorAware ? overFloor(logE, nChips) : null;
  // floor / E = 1 / (of + 1); FLOOR_SUBTRACT < 1 keeps every cell's energy positive
  if (of)
    for (let i = 0; i < logE.length; i++)
      if (logE[i] === logE[i] && of[i] < 1e8) logE[i] += Math.log(1 - FLOOR_SUBTRACT / (of[i] + 1));
  return { logE, rel, overFloor: of, nChips, firstChip };
}

/**
 * A band's floor (the noise under the sound) is its quietest chip in the window. Measured with
 * the full detector on 204 3 s windows (four keys and payloads; talking-a, short-clip-faces,
 * talking-b, synthetic music), identified against a ledger of 1e9 / 250,000:
 * floor at the quantile 0.2 of the chips: white noise 20 dB 127 / 146; 0.1 (before): 142 / 154;
 * 0.05: 146 / 157; the quietest chip: 147 / 160. AAC 64k, 0.1: 191 / 204; quietest: 192 / 204. A
 * higher floor discounts cells that still carry the mark.
/**
 * Noise added over the sound adds to every cell's energy, which pulls y = ln Ea - ln Eb towards
 * the noise's own ratio and off the lattice, not only around it. The floor-aware reading takes
 * FLOOR_SUBTRACT of the band's floor out of each cell before y is formed. Measured with the full
 * detector on 3 s windows (white noise 20 dB: code alone / ledger of 1e9 / 250,000): four sources,
 * 204 windows, 0 (before): 64 / 152 / 164; 0.3: 74 / 153 / 169; 0.5: 75 / 153 / 168; 0.7: 79 /
 * 149 / 164; 1: 75 / 139 / 154 (a cell near its floor then loses most of its energy to an estimate, and
 * its y swings with the estimate's error). AAC 64k, 0.5: 133 / 195 / 204 (132 / 195 / 204 before). On eight
 * sources (272 windows), 0.5: noise 75 / 140 / 145 -> 82 / 141 / 146.
 */
const FLOOR_SUBTRACT = 0.5;

/** Per cell: energy over the band's floor, E / floor - 1 (huge where the band has too few chips). */
function overFloor(logE: Float64Array, nChips: number): Float64Array {
  const out = new Float64Array(nChips * BANDS).fill(1e9);
  for (let b = 0; b < BANDS; b++) {
    let n = 0,
      floor = Infinity;
    for (let c = 0; c < nChips; c++) {
      const l = logE[c * BANDS + b];
      if (l === l) {
        n++;
        if (l < floor) floor = l;
      }
    }
    if (n < 8) continue;
    for (let c = 0; c < nChips; c++) {
      const l = logE[c * BANDS + b];
      if (l === l) out[c * BANDS + b] = Math.max(0, Math.exp(l - floor) - 1);
    }
  }
  return out;
}
