import { AUDIO_RATE } from '../../../src/consent/analysis/limits';
import { VAD_WINDOW } from '../../../src/consent/analysis/vad';
import { cepstrum, VOICE_COEFFS, voiceTemplate } from '../../../src/consent/analysis/voice-template';

function tone(freqs: number[], seconds: number): Float32Array {
  const pcm = new Float32Array(seconds * AUDIO_RATE);
  for (let i = 0; i < pcm.length; i++)
    for (const f of freqs) pcm[i]! += (0.2 / freqs.length) * Math.sin((2 * Math.PI * f * i) / AUDIO_RATE);
  return pcm;
}

describe('voice template', () => {
  it('is 13 cepstral means and 13 spreads over the speech windows only', () => {
    const pcm = tone([150, 300, 450], 1);
    const probs = new Float32Array(Math.floor(pcm.length / VAD_WINDOW)).fill(0.9);
    const t = voiceTemplate(pcm, probs);
    expect(t).toHaveLength(2 * VOICE_COEFFS);
    expect(Array.from(t).every(Number.isFinite)).toBe(true);
    expect(Array.from(voiceTemplate(pcm, new Float32Array(probs.length)))).toEqual(new Array(26).fill(0));
  });

  it('tells a low voice-like spectrum from a high one', () => {
    const low = cepstrum(tone([120, 240, 360], 0.1).subarray(0, VAD_WINDOW));
    const high = cepstrum(tone([900, 1800, 2700], 0.1).subarray(0, VAD_WINDOW));
    const same = cepstrum(tone([120, 240, 360], 0.1).subarray(VAD_WINDOW, 2 * VAD_WINDOW));
    const dist = (a: Float64Array, b: Float64Array) => Math.hypot(...Array.from(a, (v, i) => v - b[i]!));
    expect(dist(low, high)).toBeGreaterThan(3 * dist(low, same));
  });
});
