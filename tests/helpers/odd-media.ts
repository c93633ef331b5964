import fs from 'node:fs';
import { rng } from '../../bench/watermark/frames';

/**
 * ffmpeg video options that make a variable-frame-rate copy: 45 frames at 30 fps, then the rest
 * at 15 fps (as a phone slows down in low light).
 */
export const VFR_30_THEN_15 = ['-vf', "setpts='(N + max(0, N - 45)) / 30 / TB'", '-fps_mode', 'vfr'];

/**
 * Overwrites an MP4's coded media (its mdat box) with noise after the first `keep` bytes, keeping
 * the index (moov): the file still probes as the clip it was, and decodes to little or nothing.
 */
export function damageMdat(src: string, out: string, keep = 400, seed = 7): string {
  const bytes = fs.readFileSync(src);
  const mdat = bytes.indexOf('mdat');
  const end = mdat - 4 + bytes.readUInt32BE(mdat - 4);
  const r = rng(seed);
  for (let i = mdat + keep; i < end; i++) bytes[i] = Math.floor(r() * 256);
  fs.writeFileSync(out, bytes);
  return out;
}
