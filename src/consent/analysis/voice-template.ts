import { AUDIO_RATE } from './limits';
import { VAD_WINDOW, VAD_WINDOW_SEC } from './vad';

/**
 * The voice template: statistics of the speech frames' spectrum, 2 x VOICE_COEFFS numbers.
 *
 * What it is: MFCC-style cepstral coefficients (26 mel bands 100-7600 Hz, log, DCT, c1..c13) of
 * every 32 ms window the VAD marks as speech, averaged (13 means) and spread (13 standard
 * deviations). It summarises timbre and recording channel: the long-term spectral shape of this
 * voice through this microphone.
 *
 * What it is not: a speaker-verification embedding. Two people with similar voices, or the same
 * person on two microphones, can be closer than the same person is to themselves; it must not be
 * used alone to decide that a voice is or is not someone's. It is stored so that a real speaker
 * model (plugged in later) can be compared with historical enrollments, and so gross mismatches
 * (a cameo's audio replaced by a very different voice) can be flagged for review.
 */
export const VOICE_COEFFS = 13;
const MEL_BANDS = 26;
const FFT = 512;

function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ur = re[i + k]!;
        const ui = im[i + k]!;
        const vr = re[i + k + len / 2]! * wr - im[i + k + len / 2]! * wi;
        const vi = re[i + k + len / 2]! * wi + im[i + k + len / 2]! * wr;
        re[i + k] = ur + vr;
        im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr;
        im[i + k + len / 2] = ui - vi;
      }
    }
  }
}

const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
const imel = (m: number) => 700 * (10 ** (m / 2595) - 1);

function melFilterbank(): Float64Array[] {
  const lo = mel(100);
  const hi = mel(7600);
  const pts = Array.from({ length: MEL_BANDS + 2 }, (_, i) => imel(lo + ((hi - lo) * i) / (MEL_BANDS + 1)));
  const bins = pts.map((f) => (f * FFT) / AUDIO_RATE);
  return Array.from({ length: MEL_BANDS }, (_, b) => {
    const w = new Float64Array(FFT / 2 + 1);
    for (let k = 0; k <= FFT / 2; k++) {
      if (k > bins[b]! && k <= bins[b + 1]!) w[k] = (k - bins[b]!) / (bins[b + 1]! - bins[b]!);
      else if (k > bins[b + 1]! && k < bins[b + 2]!)
        w[k] = (bins[b + 2]! - k) / (bins[b + 2]! - bins[b + 1]!);
    }
    return w;
  });
}

let bank: Float64Array[] | undefined;

/** Cepstral coefficients c1..c13 of one 512-sample window. */
export function cepstrum(win: Float32Array): Float64Array {
  bank ??= melFilterbank();
  const re = new Float64Array(FFT);
  const im = new Float64Array(FFT);
  for (let i = 0; i < FFT; i++)
    re[i] = (win[i] ?? 0) * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (FFT - 1)));
  fft(re, im);
  const power = new Float64Array(FFT / 2 + 1);
  for (let k = 0; k <= FFT / 2; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  const logE = bank.map((w) => {
    let s = 0;
    for (let k = 0; k < w.length; k++) s += w[k]! * power[k]!;
    return Math.log(s + 1e-10);
  });
  const out = new Float64Array(VOICE_COEFFS);
  for (let c = 1; c <= VOICE_COEFFS; c++) {
    let s = 0;
    for (let b = 0; b < MEL_BANDS; b++) s += logE[b]! * Math.cos((Math.PI * c * (b + 0.5)) / MEL_BANDS);
    out[c - 1] = s;
  }
  return out;
}

/** Means then standard deviations of c1..c13 over the windows with speech probability >= 0.5; zeros if none. */
export function voiceTemplate(pcm: Float32Array, speechProbs: Float32Array): Float32Array {
  const rows: Float64Array[] = [];
  for (let i = 0; i < speechProbs.length; i++) {
    if (speechProbs[i]! < 0.5) continue;
    rows.push(cepstrum(pcm.subarray(i * VAD_WINDOW, (i + 1) * VAD_WINDOW)));
  }
  const out = new Float32Array(2 * VOICE_COEFFS);
  if (rows.length === 0) return out;
  for (let c = 0; c < VOICE_COEFFS; c++) {
    let m = 0;
    for (const r of rows) m += r[c]! / rows.length;
    let v = 0;
    for (const r of rows) v += (r[c]! - m) ** 2 / rows.length;
    out[c] = m;
    out[VOICE_COEFFS + c] = Math.sqrt(v);
  }
  return out;
}

/** Seconds of speech the template was computed from (for the report). */
export function templateSpeechSeconds(speechProbs: Float32Array): number {
  let n = 0;
  for (const p of speechProbs) if (p >= 0.5) n++;
  return n * VAD_WINDOW_SEC;
}
