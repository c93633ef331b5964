import { detectAudio, embedAudio } from '../../../src/watermark/audio';
import { AudioSearchStopped, detectAudioOffThread } from '../../../src/watermark/audio-off-thread';
import { decodeAudio } from '../../../src/watermark/media';
import { resample } from '../../../src/watermark/audio-resample';
import { fixture } from '../../helpers/fixtures';

const key = Buffer.alloc(32, 0x5a);
const payload = 'a1b2c3d4e5f60718';

describe('the sound-mark search on its own thread', () => {
  it('answers what the in-thread search answers, and leaves the samples to the caller', async () => {
    const marked = await decodeAudio(fixture('selfie', 'talking-a.mp4'), 48000, 1, 6);
    embedAudio([marked], 48000, payload, key);
    const pcm = resample(marked, 48000, 16000);
    const fallbacks: Error[] = [];
    const off = await detectAudioOffThread(pcm, 16000, key, { onFallback: (e) => fallbacks.push(e) });
    expect(fallbacks).toEqual([]);
    expect(off).toEqual(detectAudio(pcm, 16000, key));
    expect(off).toMatchObject({ detected: true, payloadHex: payload });
    expect(pcm.length).toBeGreaterThan(0);
  });

  it('answers "not detected" with a reason for silence and for another key, one search after another', async () => {
    const silent = await detectAudioOffThread(new Float32Array(16000 * 3), 16000, key);
    expect(silent).toMatchObject({ detected: false, payloadHex: null });
    expect(silent.reason).toMatch(/silent/);
    const speech = await decodeAudio(fixture('selfie', 'talking-a.mp4'), 16000, 1, 4);
    expect((await detectAudioOffThread(speech, 16000, Buffer.alloc(32, 0x33))).detected).toBe(false);
  });

  it('stops when its caller no longer wants the answer, without running the search here instead', async () => {
    const speech = await decodeAudio(fixture('selfie', 'talking-a.mp4'), 16000, 1, 10);
    const stop = new AbortController();
    const fallbacks: Error[] = [];
    const pending = detectAudioOffThread(speech, 16000, key, {
      signal: stop.signal,
      onFallback: (e) => fallbacks.push(e),
    });
    stop.abort();
    await expect(pending).rejects.toBeInstanceOf(AudioSearchStopped);
    expect(fallbacks).toEqual([]);
    // the stopped worker is not kept: the next search gets a sound one and answers there
    const next = await detectAudioOffThread(speech.subarray(0, 16000 * 3), 16000, key, {
      onFallback: (e) => fallbacks.push(e),
    });
    expect(next).toEqual(detectAudio(speech.subarray(0, 16000 * 3), 16000, key));
    expect(fallbacks).toEqual([]);
  });
});
