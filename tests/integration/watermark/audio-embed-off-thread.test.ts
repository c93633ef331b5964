import { embedAudio } from '../../../src/watermark/audio';
import { embedAudioOffThread } from '../../../src/watermark/audio-embed-off-thread';
import { decodeAudio } from '../../../src/watermark/media';
import { fixture } from '../../helpers/fixtures';

const key = Buffer.alloc(32, 0x5b);
const payload = '0a1b2c3d4e5f6071';

describe('marking the sound on its own thread', () => {
  it('returns exactly the samples in-thread marking gives, and leaves the caller its unmarked copy', async () => {
    const inter = await decodeAudio(fixture('selfie', 'talking-b.mp4'), 48000, 2, 5);
    const n = inter.length / 2;
    const planes = [0, 1].map((c) => Float32Array.from({ length: n }, (_, i) => inter[2 * i + c]));
    const before = planes.map((p) => Float32Array.from(p));
    const fallbacks: Error[] = [];
    const marked = await embedAudioOffThread(planes, 48000, payload, key, {
      onFallback: (e) => fallbacks.push(e),
    });
    expect(fallbacks).toEqual([]);
    // the caller's arrays were copied to the worker, not marked or detached
    expect(planes).toEqual(before);
    embedAudio(planes, 48000, payload, key);
    expect(marked).toHaveLength(2);
    expect(marked[0]).toEqual(planes[0]);
    expect(marked[1]).toEqual(planes[1]);
    expect(marked[0]).not.toEqual(before[0]);
  });
});
