import { bitsToHex, decodePayload, encodePayload, hexToBits } from './ecc';
import { fft, nextPow2 } from './fft';
import { chipValues, makeLayout, softBits, type ChipLayout } from './layout';
import { unionPValue } from './stats';

/**
 * The audio mark: a keyed grid of chips over (time, log-frequency) repeated every PERIOD chips,
 * applied as a small gain (1 +- alpha) on STFT magnitudes in 400-6400 Hz. The gain is
 * multiplicative, so silence gets nothing, and alpha is set per frame so the added energy stays
 * SEG_SNR_DB below the frame's energy. Chips are defined in seconds and Hz (not samples/bins),
 * so the mark survives resampling; log-spaced bands turn a speed change into a shift the
 * detector searches.
 */
const F0 = 400;
const BANDS_PER_OCT = 6;
export const BANDS = 24;
export const CHIP_SEC = 0.064;
export const PERIOD = 40;
const NSYNC = 192;
/** Default mark level: this many dB below each frame's energy (segmental SNR). */
export const SEG_SNR_DB = 31;
const ALPHA_MAX = 0.3;
const SILENCE_RMS = 1e-4; // about -80 dBFS: frames quieter than this are left alone

const layoutCache = new Map<string, ChipLayout>();
function layoutFor(key: Buffer): ChipLayout {
  const k = key.toString('hex');
  let l = layoutCache.get(k);
  if (!l) {
    l = makeLayout(key, 'consentry/wm/audio/v1', BANDS * PERIOD, NSYNC);
    layoutCache.set(k, l);
  }
  return l;
}

function bandOf(f: number): number {
  if (f < F0) return -1;
  const b = Math.floor(Math.log2(f / F0) * BANDS_PER_OCT);
  return b < BANDS ? b : -1;
}

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/**
 * Marks planar channels in place (same chips on every channel). Returns the mark's segmental SNR
 * in dB (mean over non-silent 20 ms segments), or Infinity if nothing was marked.
 */
export interface AudioEmbedOptions {
  /** target segmental SNR of the mark in dB (default SEG_SNR_DB = 31) */
  snrDb?: number;
}

export function embedAudio(
  channels: Float32Array[],
  sampleRate: number,
  payloadHex: string,
  key: Buffer,
  opts: AudioEmbedOptions = {},
): { segSnrDb: number } {
  const snrDb = opts.snrDb ?? SEG_SNR_DB;
  const layout = layoutFor(key);
  const chips = chipValues(layout, encodePayload(hexToBits(payloadHex)));
  const N = nextPow2(Math.round(0.04 * sampleRate));
  const hop = N / 4;
  const win = hann(N);
  const bandOfBin = new Int32Array(N / 2 + 1);
  for (let k = 0; k <= N / 2; k++) bandOfBin[k] = bandOf((k * sampleRate) / N);
  const re = new Float64Array(N),
    im = new Float64Array(N);
  const originals = channels.map((c) => Float32Array.from(c));
  for (const ch of channels) {
    const len = ch.length;
    const orig = Float32Array.from(ch);
    const delta = new Float64Array(len + N);
    for (let start = -N + hop; start < len; start += hop) {
      let eTot = 0;
      for (let i = 0; i < N; i++) {
        const j = start + i;
        const v = j >= 0 && j < len ? orig[j] * win[i] : 0;
        re[i] = v;
        im[i] = 0;
        eTot += v * v;
      }
      if (Math.sqrt(eTot / N) < SILENCE_RMS) continue;
      fft(re, im);
      let eBand = 0;
      for (let k = 1; k < N / 2; k++) if (bandOfBin[k] >= 0) eBand += re[k] * re[k] + im[k] * im[k];
      let eAll = 0;
      for (let k = 1; k < N / 2; k++) eAll += re[k] * re[k] + im[k] * im[k];
      if (eBand <= 0) continue;
      const alpha = Math.min(ALPHA_MAX, Math.sqrt((Math.pow(10, -snrDb / 10) * eAll) / eBand));
      const tc = ((Math.floor((start + N / 2) / sampleRate / CHIP_SEC) % PERIOD) + PERIOD) % PERIOD;
      // Only the change (alpha * chip * X) is synthesised, so the unmarked part is untouched.
      for (let k = 0; k < N; k++) {
        const kk = k <= N / 2 ? k : N - k;
        const b = bandOfBin[kk];
        const g = b >= 0 && kk > 0 && kk < N / 2 ? alpha * chips[b * PERIOD + tc] : 0;
        re[k] *= g;
        im[k] *= g;
      }
      fft(re, im, true);
      // Hann analysis + Hann synthesis at hop N/4 sums to 1.5.
      for (let i = 0; i < N; i++) {
        const j = start + i;
        if (j >= 0 && j < len) delta[j] += (re[i] * win[i]) / 1.5;
      }
    }
    for (let i = 0; i < len; i++) ch[i] = orig[i] + delta[i];
  }
  return { segSnrDb: segmentalSnr(originals, channels, sampleRate) };
}

/** Mean SNR (dB) of signal vs (marked - signal) over 20 ms segments that are not silent. */
export function segmentalSnr(orig: Float32Array[], marked: Float32Array[], sampleRate: number): number {
  const seg = Math.round(0.02 * sampleRate);
  let acc = 0,
    n = 0;
  for (let c = 0; c < orig.length; c++)
    for (let s = 0; s + seg <= orig[c].length; s += seg) {
      let es = 0,
        en = 0;
      for (let i = s; i < s + seg; i++) {
        es += orig[c][i] ** 2;
        en += (marked[c][i] - orig[c][i]) ** 2;
      }
      if (Math.sqrt(es / seg) < SILENCE_RMS * 10) continue;
      acc += 10 * Math.log10(es / Math.max(en, 1e-20));
      n++;
    }
  return n ? acc / n : Infinity;
}

export interface AudioDetection {
  detected: boolean;
  payloadHex: string | null;
  crcOk: boolean;
  pValue: number;
  score: number;
  secondsUsed: number;
  speed: number;
  reason?: string;
  /** the decoder's best guess even when not detected, for bit-accuracy measurements */
  rawPayloadHex?: string;
}

export const AUDIO_P_THRESHOLD = 1e-9;
const SPEEDS: number[] = [];
for (let s = 0.935; s <= 1.0651; s += 0.005) SPEEDS.push(Math.round(s * 1000) / 1000);
const PHASES = 4;

/** Detects the audio mark in mono PCM at any sample rate. Never throws for content reasons. */
export function detectAudio(pcm: Float32Array, sampleRate: number, key: Buffer): AudioDetection {
  const secondsUsed = pcm.length / sampleRate;
  const none = (reason: string): AudioDetection => ({
    detected: false,
    payloadHex: null,
    crcOk: false,
    pValue: 1,
    score: 0,
    secondsUsed,
    speed: 1,
    reason,
  });
  if (secondsUsed < 1) return none('audio shorter than 1 s');
  const N = nextPow2(Math.round(0.032 * sampleRate));
  const hop = N / 2;
  const win = hann(N);
  const nFrames = Math.floor((pcm.length - N) / hop) + 1;
  const kMin = Math.max(1, Math.floor((F0 * 0.9 * N) / sampleRate)),
    kMax = Math.min(N / 2 - 1, Math.ceil((F0 * 2 ** (BANDS / BANDS_PER_OCT) * 1.1 * N) / sampleRate));
  const nk = kMax - kMin + 1;
  const L = new Float32Array(nFrames * nk);
  const loud = new Uint8Array(nFrames);
  const re = new Float64Array(N),
    im = new Float64Array(N);
  for (let t = 0; t < nFrames; t++) {
    let e = 0;
    for (let i = 0; i < N; i++) {
      const v = pcm[t * hop + i] * win[i];
      re[i] = v;
      im[i] = 0;
      e += v * v;
    }
    loud[t] = Math.sqrt(e / N) >= SILENCE_RMS * 3 ? 1 : 0;
    fft(re, im);
    for (let k = kMin; k <= kMax; k++) L[t * nk + k - kMin] = Math.log(re[k] * re[k] + im[k] * im[k] + 1e-12);
  }
  let nLoud = 0;
  for (const l of loud) nLoud += l;
  if (nLoud < 20) return none('audio is silent (nothing can carry a mark)');
  // Residual: log-power minus its local temporal mean per bin (removes the host's slow envelope).
  const R = 6;
  const d = new Float32Array(nFrames * nk);
  for (let k = 0; k < nk; k++) {
    let acc = 0,
      lo = 0,
      hi = -1;
    for (let t = 0; t < nFrames; t++) {
      while (hi < Math.min(nFrames - 1, t + R)) acc += L[++hi * nk + k];
      while (lo < t - R) acc -= L[lo++ * nk + k];
      const v = L[t * nk + k] - acc / (hi - lo + 1);
      d[t * nk + k] = loud[t] ? (v > 3 ? 3 : v < -3 ? -3 : v) : 0;
    }
  }
  const layout = layoutFor(key);
  const syncGrid = chipValues(layout, null);
  let best: { z: number; speed: number; shift: number; fold: Float64Array } | null = null;
  const fold = new Float64Array(BANDS * PERIOD),
    cnt = new Float64Array(BANDS * PERIOD);
  const binBand = new Int32Array(nk);
  for (const speed of SPEEDS) {
    for (let k = 0; k < nk; k++) binBand[k] = bandOf(((k + kMin) * sampleRate) / N / speed);
    for (let ph = 0; ph < PHASES; ph++) {
      fold.fill(0);
      cnt.fill(0);
      for (let t = 0; t < nFrames; t++) {
        if (!loud[t]) continue;
        const tau = ((t * hop + N / 2) / sampleRate) * speed + (ph * CHIP_SEC) / PHASES;
        const c = Math.floor(tau / CHIP_SEC) % PERIOD;
        for (let k = 0; k < nk; k++) {
          const b = binBand[k];
          if (b < 0) continue;
          fold[b * PERIOD + c] += d[t * nk + k];
          cnt[b * PERIOD + c]++;
        }
      }
      // Normalise cells to unit variance so the correlation is a z-score under no mark.
      let s2 = 0,
        m = 0;
      for (let i = 0; i < fold.length; i++)
        if (cnt[i]) {
          fold[i] /= Math.sqrt(cnt[i]);
          s2 += fold[i] * fold[i];
          m++;
        }
      if (m < fold.length / 2) continue;
      const sd = Math.sqrt(s2 / m) || 1;
      for (let shift = 0; shift < PERIOD; shift++) {
        let acc = 0;
        for (let i = 0; i < layout.syncIdx.length; i++) {
          const idx = layout.syncIdx[i];
          const b = (idx / PERIOD) | 0,
            c = idx % PERIOD;
          acc += fold[b * PERIOD + ((c + shift) % PERIOD)] * syncGrid[idx];
        }
        const z = acc / sd / Math.sqrt(layout.syncIdx.length);
        if (!best || z > best.z) {
          const f = new Float64Array(fold.length);
          for (let i = 0; i < f.length; i++) f[i] = fold[i] / sd;
          best = { z, speed, shift, fold: f };
        }
      }
    }
  }
  if (!best) return none('too little loud audio');
  const chipSoft = new Float64Array(BANDS * PERIOD);
  for (let b = 0; b < BANDS; b++)
    for (let c = 0; c < PERIOD; c++)
      chipSoft[b * PERIOD + c] = best.fold[b * PERIOD + ((c + best.shift) % PERIOD)];
  const soft = softBits(layout, chipSoft);
  const { payload, crcOk } = decodePayload(soft);
  const trials = SPEEDS.length * PHASES * PERIOD;
  const pValue = unionPValue(best.z, trials, crcOk ? -16 * Math.log10(2) : 0);
  const detected = pValue <= AUDIO_P_THRESHOLD;
  return {
    detected,
    payloadHex: detected && crcOk ? bitsToHex(payload) : null,
    crcOk,
    pValue,
    score: best.z,
    secondsUsed,
    speed: best.speed,
    reason: detected ? undefined : 'no mark above the operating threshold',
    rawPayloadHex: bitsToHex(payload),
  };
}
