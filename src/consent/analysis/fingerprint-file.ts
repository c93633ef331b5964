import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { decodeAudio, decodeFrames, detectBorders, probeRecording } from './decode';
import { computeFingerprint, type Fingerprint } from './fingerprint';
import { SAMPLE_FPS } from './limits';

const FP_DECODE_SIDE = 144;

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Hash and perceptual fingerprint of a recording without the face analysis (decoding only, well
 * under a second): lets the service refuse a re-upload before paying for a full analysis.
 * Same limits and errors as analyseRecording.
 */
export async function fingerprintRecording(
  path: string,
): Promise<{ sha256: string; fingerprint: Fingerprint; durationSec: number }> {
  const info = await probeRecording(path);
  const crop = await detectBorders(path, info);
  // Same sampling as the analysis (SAMPLE_FPS, every few frames hashed): ffmpeg's fps filter
  // picks different source frames at 2 fps than every 4th at 8 fps. Small frames: the hash reads
  // 9x8 cell averages.
  const s = Math.min(1, FP_DECODE_SIDE / Math.max(crop.width, crop.height));
  const even = (v: number) => Math.max(2, Math.round((v * s) / 2) * 2);
  const [video, pcm, sha256] = await Promise.all([
    decodeFrames(path, info, SAMPLE_FPS, crop, { width: even(crop.width), height: even(crop.height) }),
    decodeAudio(path, info),
    sha256File(path),
  ]);
  return { sha256, fingerprint: computeFingerprint(video, pcm), durationSec: info.durationSec };
}
