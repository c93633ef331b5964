/**
 * Decides what an upload really is from its first bytes (never from its name or declared type),
 * and refuses archives, empty files and formats the verifier does not read, with a sentence.
 */
import { Invalid, UnsupportedMedia } from '../http/errors';

export type MediaKind = 'video' | 'image' | 'audio';

export interface SniffedMedia {
  /** What the container suggests; the probe may refine it (an MP4 with only sound is audio). */
  kind: MediaKind;
  mimeType: string;
  label: string;
}

/** How many leading bytes sniffing needs (tar's magic sits at 257). */
export const SNIFF_BYTES = 512;

const ARCHIVES: { name: string; test: (b: Buffer) => boolean }[] = [
  {
    name: 'ZIP',
    test: (b) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && [0x03, 0x05, 0x07].includes(b[2]),
  },
  { name: 'gzip', test: (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b },
  { name: 'bzip2', test: (b) => b.length >= 3 && b.toString('latin1', 0, 3) === 'BZh' },
  {
    name: 'xz',
    test: (b) => b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])),
  },
  {
    name: '7-Zip',
    test: (b) => b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])),
  },
  { name: 'RAR', test: (b) => b.length >= 6 && b.toString('latin1', 0, 6) === 'Rar!\x1a\x07' },
  { name: 'Zstandard', test: (b) => b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528 },
  { name: 'tar', test: (b) => b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar' },
];

const AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ']);
const UNSUPPORTED_BRANDS = new Set(['heic', 'heix', 'mif1', 'msf1', 'avif', 'avis', 'crx ']);

export function sniffMedia(head: Buffer, size: number): SniffedMedia {
  if (size === 0 || head.length === 0) throw new Invalid('media_empty', 'The file is empty.');
  const archive = ARCHIVES.find((a) => a.test(head));
  if (archive) {
    throw new UnsupportedMedia(
      'media_archive',
      `The file is a ${archive.name} archive, not a video, image or audio file; upload the media itself.`,
    );
  }
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return { kind: 'image', mimeType: 'image/jpeg', label: 'JPEG image' };
  if (
    head.length >= 8 &&
    head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { kind: 'image', mimeType: 'image/png', label: 'PNG image' };
  }
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF') {
    const form = head.toString('latin1', 8, 12);
    if (form === 'WEBP') return { kind: 'image', mimeType: 'image/webp', label: 'WebP image' };
    if (form === 'WAVE') return { kind: 'audio', mimeType: 'audio/wav', label: 'WAV audio' };
  }
  if (head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp') {
    const brand = head.toString('latin1', 8, 12);
    if (AUDIO_BRANDS.has(brand)) return { kind: 'audio', mimeType: 'audio/mp4', label: 'M4A audio' };
    if (UNSUPPORTED_BRANDS.has(brand)) {
      throw new UnsupportedMedia(
        'media_unsupported',
        `ISO media of brand "${brand.trim()}" (a still-image container) is not supported; upload JPEG, PNG or WebP.`,
      );
    }
    if (brand === 'qt  ') return { kind: 'video', mimeType: 'video/quicktime', label: 'QuickTime video' };
    return { kind: 'video', mimeType: 'video/mp4', label: 'MP4 video' };
  }
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    const webm = head.subarray(0, 64).includes(Buffer.from('webm'));
    return webm
      ? { kind: 'video', mimeType: 'video/webm', label: 'WebM video' }
      : { kind: 'video', mimeType: 'video/x-matroska', label: 'Matroska video' };
  }
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'ID3')
    return { kind: 'audio', mimeType: 'audio/mpeg', label: 'MP3 audio' };
  if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xf6) === 0xf0)
    return { kind: 'audio', mimeType: 'audio/aac', label: 'AAC audio' };
  if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0)
    return { kind: 'audio', mimeType: 'audio/mpeg', label: 'MP3 audio' };
  throw new UnsupportedMedia(
    'media_unsupported',
    'The file is not a supported video (MP4, MOV, WebM, MKV), image (JPEG, PNG, WebP) or audio file (AAC, M4A, MP3, WAV).',
  );
}
