import { Invalid, UnsupportedMedia } from '../../../src/http/errors';
import { sniffFormat } from '../../../src/provenance/format';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffFormat', () => {
  it('recognises each supported container by its magic bytes', () => {
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0], 'xxxx'))).toBe('image/jpeg');
    expect(sniffFormat(bytes([0x89], 'PNG\r\n\x1a\n', 'rest'))).toBe('image/png');
    expect(sniffFormat(bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0]))).toBe('video/mp4');
    expect(sniffFormat(bytes([0, 0, 0, 0x14], 'ftypqt  ', [0, 0, 0, 0]))).toBe('video/quicktime');
    expect(sniffFormat(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '))).toBe('audio/wav');
    expect(sniffFormat(bytes('ID3', [4, 0, 0, 0, 0, 0, 0]))).toBe('audio/mpeg');
    expect(sniffFormat(bytes([0xff, 0xfb, 0x90, 0x64]))).toBe('audio/mpeg');
  });

  it('judges a file by its bytes, whatever its name or declared type says', () => {
    // A PNG body is a PNG even when the upload was called clip.mp4 with type video/mp4.
    expect(sniffFormat(bytes([0x89], 'PNG\r\n\x1a\n'))).toBe('image/png');
  });

  it('refuses an empty file as invalid', () => {
    expect(() => sniffFormat(Buffer.alloc(0))).toThrow(Invalid);
  });

  it('refuses unknown formats and unsupported ISO brands as unsupported media', () => {
    expect(() => sniffFormat(bytes('%PDF-1.7\n'))).toThrow(UnsupportedMedia);
    expect(() => sniffFormat(bytes('GIF89a'))).toThrow(UnsupportedMedia);
    expect(() => sniffFormat(bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0]))).toThrow(UnsupportedMedia);
  });
});
