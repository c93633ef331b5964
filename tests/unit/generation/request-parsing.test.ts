import { createGenerationSchema } from '../../../src/generation/generation-schemas';
import { cameoHandles } from '../../../src/generation/generation-service';
import { clipMismatch } from '../../../src/models/probe';

describe('cameo handles of a request', () => {
  it('come from the list and from @mentions in the prompt, once each, case-insensitively', () => {
    expect(cameoHandles('@Maya and @bob_1 at the beach with @maya', ['bob_1', 'zoe'])).toEqual([
      'bob_1',
      'zoe',
      'Maya',
    ]);
  });

  it('ignore e-mail addresses and too-short mentions', () => {
    expect(cameoHandles('write to me@example.com, hi @ab', [])).toEqual([]);
  });
});

describe('generation request schema', () => {
  it('fills defaults: 10 s, 16:9, draft', () => {
    expect(createGenerationSchema.parse({ prompt: 'a cat' })).toMatchObject({
      durationSec: 10,
      aspect: '16:9',
      visibility: 'draft',
      cameos: [],
    });
  });

  it('refuses clips over 10 s, unknown aspects and unknown fields', () => {
    expect(() => createGenerationSchema.parse({ prompt: 'x', durationSec: 11 })).toThrow(
      /at most 10 seconds/,
    );
    expect(() => createGenerationSchema.parse({ prompt: 'x', aspect: '4:3' })).toThrow();
    expect(() => createGenerationSchema.parse({ prompt: 'x', model: 'other' })).toThrow();
  });

  it('strips a leading @ from listed handles and refuses malformed ones', () => {
    expect(createGenerationSchema.parse({ prompt: 'x', cameos: ['@maya'] }).cameos).toEqual(['maya']);
    expect(() => createGenerationSchema.parse({ prompt: 'x', cameos: ['no spaces allowed'] })).toThrow();
  });
});

describe('model output validation', () => {
  const want = { width: 1280, height: 720, durationSec: 10 };
  const good = {
    formatNames: ['mov', 'mp4', 'm4a'],
    durationSec: 10.02,
    video: { codec: 'h264', width: 1280, height: 720 },
    audio: { codec: 'aac' },
  };

  it('accepts an H.264 MP4 of the requested size and length', () => {
    expect(clipMismatch(good, want)).toBeNull();
  });

  it('names what is wrong: container, codec, size, duration', () => {
    expect(clipMismatch({ ...good, formatNames: ['matroska', 'webm'] }, want)).toMatch(/not an MP4/);
    expect(clipMismatch({ ...good, video: { codec: 'hevc', width: 1280, height: 720 } }, want)).toMatch(
      /hevc/,
    );
    expect(clipMismatch({ ...good, video: { codec: 'h264', width: 640, height: 360 } }, want)).toMatch(
      /640x360/,
    );
    expect(clipMismatch({ ...good, durationSec: 6 }, want)).toMatch(/6.00 s/);
    expect(clipMismatch({ ...good, video: null }, want)).toMatch(/no video/);
  });
});
