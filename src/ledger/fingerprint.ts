/**
 * The ledger's fingerprint of a media file, computed the same way for what the pipeline delivers
 * and for what someone uploads to verification.
 *
 * Frames are sampled at 2 per second from t=0 (so a copy trimmed from the start samples the same
 * instants) and each sampled frame gives two pHashes: of the whole frame, and of its central 60%.
 * A copy cropped to the middle 60% has, as its whole frame, what the original's central hash saw;
 * the verifier therefore compares an upload's whole-frame hashes against both kinds.
 */
import { ffmpegBin, runTool } from '../media/tools';
import { AUDIO_RATE, audioSubFingerprints } from './audio-hash';
import { phash, THUMB } from './phash';
import { probeFile, type ProbedMedia } from './probe';

export interface MediaFingerprint {
  /** 64-bit hex pHashes of whole frames, ~2 per second (one for an image). */
  frameHashes: string[];
  /** Robust audio sub-fingerprints (32-bit hex, 2 per second), or [] without usable audio. */
  audioHashes: string[];
  /** 64-bit hex pHashes of the central 60% of the same frames (what a centred crop keeps). */
  centreHashes?: string[];
}

export const FRAME_SAMPLES_PER_SECOND = 2;
/** The crop a centred-crop copy is expected to keep; the ledger stores this region's hash too. */
export const CENTRE_FRACTION = 0.6;
const MAX_SECONDS = 600;

async function frameHashes(path: string, isImage: boolean): Promise<{ full: string[]; centre: string[] }> {
  const c = CENTRE_FRACTION;
  // One decode; each sample becomes a 32x64 grey strip: whole frame above, centre below.
  // A still image has no timeline for the fps filter: its one frame is used as it is.
  const sample = isImage ? 'null' : `fps=${FRAME_SAMPLES_PER_SECOND}:round=down`;
  const graph =
    `[0:v:0]${sample},split[a][b];` +
    `[a]scale=${THUMB}:${THUMB}:flags=area[f];` +
    `[b]crop=trunc(iw*${c}/2)*2:trunc(ih*${c}/2)*2,scale=${THUMB}:${THUMB}:flags=area[c];` +
    `[f][c]vstack,format=gray[out]`;
  const { stdout } = await runTool(
    ffmpegBin(),
    [
      '-v',
      'error',
      '-nostdin',
      '-threads',
      '2',
      '-t',
      String(MAX_SECONDS),
      '-i',
      path,
      '-filter_complex',
      graph,
      '-map',
      '[out]',
      '-f',
      'rawvideo',
      '-',
    ],
    { timeoutMs: 120000, maxStdoutBytes: MAX_SECONDS * FRAME_SAMPLES_PER_SECOND * THUMB * THUMB * 2 + 1 },
  );
  const size = THUMB * THUMB;
  const full: string[] = [];
  const centre: string[] = [];
  for (let off = 0; off + 2 * size <= stdout.length; off += 2 * size) {
    const f = phash(stdout, off);
    const ce = phash(stdout, off + size);
    if (f) full.push(f);
    if (ce) centre.push(ce);
  }
  return { full, centre };
}

async function audioHashes(path: string): Promise<string[]> {
  const { stdout } = await runTool(
    ffmpegBin(),
    [
      '-v',
      'error',
      '-nostdin',
      '-t',
      String(MAX_SECONDS),
      '-i',
      path,
      '-map',
      '0:a:0',
      '-ac',
      '1',
      '-ar',
      String(AUDIO_RATE),
      '-f',
      's16le',
      '-',
    ],
    { timeoutMs: 120000, maxStdoutBytes: MAX_SECONDS * AUDIO_RATE * 2 + 1 },
  );
  // A fresh, aligned copy: Buffer.concat may hand back a view at an odd offset of a shared pool.
  const aligned = new Uint8Array(stdout.length - (stdout.length % 2));
  aligned.set(stdout.subarray(0, aligned.length));
  return audioSubFingerprints(new Int16Array(aligned.buffer));
}

/** Fingerprints a video, an image (one frame) or an audio-only file. */
export async function fingerprintMedia(path: string, probed?: ProbedMedia): Promise<MediaFingerprint> {
  const info = probed ?? (await probeFile(path));
  const [frames, audio] = await Promise.all([
    info.video ? frameHashes(path, info.isImage) : Promise.resolve({ full: [], centre: [] }),
    info.audio ? audioHashes(path) : Promise.resolve([]),
  ]);
  return { frameHashes: frames.full, audioHashes: audio, centreHashes: frames.centre };
}
