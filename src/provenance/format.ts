/**
 * Decides an asset's format from its first bytes, never from a file name or a declared type:
 * an upload called clip.mp4 that is a PNG is read as a PNG.
 */
import { Invalid, UnsupportedMedia } from '../http/errors';

export type MediaFormat =
  'image/jpeg' | 'image/png' | 'video/mp4' | 'video/quicktime' | 'audio/wav' | 'audio/mpeg';

const BMFF_VIDEO_BRANDS = new Set([
  'isom',
  'iso2',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'avc1',
  'dash',
  'M4V ',
  'mmp4',
  'MSNV',
  'XAVC',
]);

export function sniffFormat(bytes: Buffer): MediaFormat {
  if (bytes.length === 0) throw new Invalid('media_empty', 'The file is empty.');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    const brand = bytes.toString('latin1', 8, 12);
    if (brand === 'qt  ') return 'video/quicktime';
    if (BMFF_VIDEO_BRANDS.has(brand) || brand.startsWith('3g') || brand.startsWith('M4A')) return 'video/mp4';
    throw new UnsupportedMedia(
      'media_unsupported',
      `ISO media with brand "${brand.trim()}" is not supported for Content Credentials.`,
    );
  }
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WAVE'
  )
    return 'audio/wav';
  if (bytes.length >= 3 && bytes.toString('latin1', 0, 3) === 'ID3') return 'audio/mpeg';
  // A bare MPEG audio frame: 11 sync bits, then a layer other than "reserved".
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0 && (bytes[1] & 0x06) !== 0)
    return 'audio/mpeg';
  throw new UnsupportedMedia('media_unsupported', 'The file is not a JPEG, PNG, MP4, MOV, WAV or MP3 asset.');
}
