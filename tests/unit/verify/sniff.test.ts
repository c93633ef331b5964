import { sniffMedia } from '../../../src/verify/sniff';

const b = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffMedia', () => {
  it('recognises every supported container by its bytes', () => {
    expect(sniffMedia(b([0, 0, 0, 0x18], 'ftypisom', [0, 0, 0, 0]), 100)).toMatchObject({
      kind: 'video',
      mimeType: 'video/mp4',
    });
    expect(sniffMedia(b([0, 0, 0, 0x14], 'ftypqt  '), 100)).toMatchObject({
      kind: 'video',
      mimeType: 'video/quicktime',
    });
    expect(sniffMedia(b([0, 0, 0, 0x18], 'ftypM4A '), 100)).toMatchObject({
      kind: 'audio',
      mimeType: 'audio/mp4',
    });
    expect(sniffMedia(b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], 'webm'), 100)).toMatchObject({
      mimeType: 'video/webm',
    });
    expect(sniffMedia(b([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], 'matroska'), 100)).toMatchObject({
      mimeType: 'video/x-matroska',
    });
    expect(sniffMedia(b([0xff, 0xd8, 0xff, 0xe0]), 100)).toMatchObject({
      kind: 'image',
      mimeType: 'image/jpeg',
    });
    expect(sniffMedia(b([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 100)).toMatchObject({
      mimeType: 'image/png',
    });
    expect(sniffMedia(b('RIFF', [0, 0, 0, 0], 'WEBP'), 100)).toMatchObject({ mimeType: 'image/webp' });
    expect(sniffMedia(b('RIFF', [0, 0, 0, 0], 'WAVE'), 100)).toMatchObject({
      kind: 'audio',
      mimeType: 'audio/wav',
    });
    expect(sniffMedia(b('ID3', [4, 0]), 100)).toMatchObject({ mimeType: 'audio/mpeg' });
    expect(sniffMedia(b([0xff, 0xfb, 0x90]), 100)).toMatchObject({ mimeType: 'audio/mpeg' });
    expect(sniffMedia(b([0xff, 0xf1, 0x50]), 100)).toMatchObject({ mimeType: 'audio/aac' });
  });

  it('refuses archives posing as videos, naming the archive', () => {
    expect(() => sniffMedia(b('PK', [3, 4, 20, 0]), 100)).toThrow(/ZIP archive/);
    expect(() => sniffMedia(b([0x1f, 0x8b, 8]), 100)).toThrow(/gzip archive/);
    expect(() => sniffMedia(b('Rar!', [0x1a, 0x07, 0]), 100)).toThrow(/RAR archive/);
    const tar = Buffer.alloc(512);
    tar.write('clip.mp4', 0);
    tar.write('ustar', 257, 'latin1');
    expect(() => sniffMedia(tar, 1024)).toThrow(/tar archive/);
  });

  it('refuses empty files and unknown bytes with a sentence and a 4xx status', () => {
    try {
      sniffMedia(Buffer.alloc(0), 0);
      throw new Error('not refused');
    } catch (e) {
      expect(e).toMatchObject({ status: 400, code: 'media_empty' });
    }
    try {
      sniffMedia(Buffer.from('just some text, not media'), 25);
      throw new Error('not refused');
    } catch (e) {
      expect(e).toMatchObject({ status: 415, code: 'media_unsupported' });
      expect((e as Error).message).toMatch(/not a supported video/);
    }
  });
});
