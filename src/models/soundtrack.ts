import type { MusicPlan } from './scene-plan';

/**
 * Synthesises the soundtrack as interleaved stereo float PCM: a plucked melody (a decaying tone
 * an octave up, one note a beat) over a slowly pulsing chord, with short fades at both ends.
 * Pure arithmetic on the plan, so the same plan always gives the same samples.
 */
export function synthesizeSoundtrack(m: MusicPlan, durationSec: number, sampleRate: number): Float32Array {
  const n = Math.round(durationSec * sampleRate);
  const out = new Float32Array(n * 2);
  const chordHz = m.chord.map((s) => m.rootHz * 2 ** (s / 12));
  const fadeIn = 0.2 * sampleRate;
  const fadeOut = 0.4 * sampleRate;
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
    const pluck = 0.22 * attack * Math.exp(-m.decay * inBeat) * Math.sin(phase);
    let pad = 0;
    for (const c of chordHz) pad += Math.sin(2 * Math.PI * c * t);
    pad *= 0.06 * (0.7 + 0.3 * Math.sin((2 * Math.PI * t) / (m.beatSec * 8)));
    const env = Math.min(1, i / fadeIn, (n - i) / fadeOut);
    out[2 * i] = env * (pluck + pad);
    out[2 * i + 1] = env * (0.8 * pluck + pad);
  }
  return out;
}
