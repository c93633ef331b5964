import { mulberry32 } from './prng';
import type { MusicPlan } from './scene-plan';

/**
 * Synthesises the soundtrack as interleaved stereo float PCM: a plucked melody (a decaying tone an
 * octave up with its overtones, one note a beat) over a slowly pulsing chord and an ambience bed
 * (pink-ish noise swelling like wind or surf), with short fades at both ends. Real clips' sound
 * is broadband; pure sines would leave most of the spectrum empty, and with it the bands the sound
 * watermark works in. Pure arithmetic on the plan (the noise is seeded from it), so the same plan
 * always gives the same samples.
 */
const PARTIALS = 6;
const AMBIENCE = 0.035;

function planSeed(m: MusicPlan): number {
  let h = Math.round(m.rootHz * 1000) ^ Math.round(m.beatSec * 1e6);
  for (const x of [...m.chord, ...m.melody]) h = Math.imul(h ^ (x + 97), 0x9e3779b1) >>> 0;
  return h >>> 0;
}

export function synthesizeSoundtrack(m: MusicPlan, durationSec: number, sampleRate: number): Float32Array {
  const n = Math.round(durationSec * sampleRate);
  const out = new Float32Array(n * 2);
  const chordHz = m.chord.map((s) => m.rootHz * 2 ** (s / 12));
  const fadeIn = 0.2 * sampleRate;
  const fadeOut = 0.4 * sampleRate;
  const nyquist = sampleRate / 2;
  const rnd = mulberry32(planSeed(m));
  // Pink-ish noise: three one-pole low-passes of white noise at spread corners, summed.
  const poles = [0.997, 0.97, 0.7].map((p) => p ** (44100 / sampleRate));
  const lp = [0, 0, 0, 0, 0, 0];
  const swellHz = 1 / (m.beatSec * 6);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const beat = Math.floor(t / m.beatSec);
    const inBeat = t - beat * m.beatSec;
    const note = m.melody[beat % m.melody.length]!;
    const hz = 2 * m.rootHz * 2 ** (note / 12);
    // Phase accumulates so a note change does not click.
    phase += (2 * Math.PI * hz) / sampleRate;
    const attack = Math.min(1, inBeat / 0.008);
    let string = 0;
    for (let k = 1; k <= PARTIALS && k * hz < nyquist; k++)
      string += (Math.exp(-m.decay * k * 0.6 * inBeat) * Math.sin(k * phase)) / k;
    const pluck = 0.16 * attack * Math.exp(-m.decay * inBeat * 0.4) * string;
    let pad = 0;
    for (const c of chordHz) pad += Math.sin(2 * Math.PI * c * t);
    pad *= 0.05 * (0.7 + 0.3 * Math.sin((2 * Math.PI * t) / (m.beatSec * 8)));
    const swell = 0.6 + 0.4 * Math.sin(2 * Math.PI * swellHz * t);
    const amb = [0, 0];
    for (let ch = 0; ch < 2; ch++) {
      const w = rnd() * 2 - 1;
      let s = 0;
      for (let p = 0; p < poles.length; p++) {
        const j = ch * 3 + p;
        lp[j] = poles[p]! * lp[j]! + (1 - poles[p]!) * w;
        s += lp[j]! * (p === 0 ? 6 : p === 1 ? 2.5 : 0.8);
      }
      amb[ch] = AMBIENCE * swell * s;
    }
    const env = Math.min(1, i / fadeIn, (n - i) / fadeOut);
    out[2 * i] = env * (pluck + pad + amb[0]!);
    out[2 * i + 1] = env * (0.8 * pluck + pad + amb[1]!);
  }
  return out;
}
