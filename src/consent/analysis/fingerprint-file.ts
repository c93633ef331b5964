import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { decodeAudio, decodeFrames, probeRecording } from './decode';
import { computeFingerprint, FP_FPS, type Fingerprint } from './fingerprint';

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
  const [video, pcm, sha256] = await Promise.all([
    decodeFrames(path, info, FP_FPS),
    decodeAudio(path, info),
    sha256File(path),
  ]);
  return { sha256, fingerprint: computeFingerprint(video, pcm), durationSec: info.durationSec };
}
