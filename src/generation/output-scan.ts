import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { detectFaces, faceDistance, SAME_PERSON_MAX_DISTANCE } from '../faces';
import { ffmpegBin } from '../media/tools';

export const SCAN_FPS = 2;
/** Frames are scanned at this width: faces the model composites stay well above the detector's minimum. */
export const SCAN_WIDTH = 640;

export interface SampledFrame {
  index: number;
  timeSec: number;
  rgb: { data: Uint8Array; width: number; height: number };
  jpeg: Buffer;
}

/** Decodes ~2 frames a second of a clip, scaled to SCAN_WIDTH, as RGB (for faces) and JPEG (for the opt-out registry). */
export async function sampleFrames(file: string, width: number, height: number, signal?: AbortSignal): Promise<SampledFrame[]> {
  const w = Math.min(SCAN_WIDTH, width) & ~1;
  const h = Math.round((height * w) / width) & ~1;
  const frameBytes = w * h * 3;
  const child = spawn(ffmpegBin(), ['-v', 'error', '-i', file, '-an', '-vf', `fps=${SCAN_FPS},scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  const raw: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes) {
      raw.push(Buffer.from(pending.subarray(0, frameBytes)));
      pending = pending.subarray(frameBytes);
    }
  }
  const code: number | null = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', r)));
  signal?.removeEventListener('abort', onAbort);
  if (signal?.aborted) throw new Error('The scan was cancelled.');
  if (code !== 0) throw new Error(`Sampling frames failed: ${err.slice(-500)}`);
  return Promise.all(
    raw.map(async (b, index) => ({
      index,
      timeSec: index / SCAN_FPS,
      rgb: { data: new Uint8Array(b.buffer, b.byteOffset, b.length), width: w, height: h },
      jpeg: await sharp(b, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toBuffer(),
    })),
  );
}

export interface ScannedFace {
  frame: number;
  timeSec: number;
  descriptor: Float32Array;
  /** The requested cameo it matches, if any. */
  matchedCameoId: string | null;
  distance: number | null;
}

/** Every SSD_EVERY-th sampled frame also goes through the SSD detector (see scanFaces). */
export const SSD_EVERY = 4;

/**
 * Finds every face in the sampled frames and says which requested cameo each one is. The tiny
 * detector runs on every sampled frame (~55 ms); the SSD detector, which finds faces the tiny one
 * misses but costs ~10x more, runs on every SSD_EVERY-th frame, so a face that stays on screen
 * for more than two seconds meets both.
 */
export async function scanFaces(
  frames: SampledFrame[],
  templates: { cameoId: string; faceTemplate: Float32Array }[],
  onFrame?: (done: number) => void,
): Promise<ScannedFace[]> {
  const out: ScannedFace[] = [];
  for (const f of frames) {
    const faces = await detectFaces(f.rgb, { detector: 'tiny', minScore: 0.4 });
    if (f.index % SSD_EVERY === 0) {
      for (const extra of await detectFaces(f.rgb, { detector: 'ssd', minScore: 0.5 })) {
        if (!faces.some((x) => iou(x.box, extra.box) > 0.3)) faces.push(extra);
      }
    }
    for (const face of faces) {
      let best: { cameoId: string; distance: number } | null = null;
      for (const t of templates) {
        const d = faceDistance(face.descriptor, t.faceTemplate);
        if (!best || d < best.distance) best = { cameoId: t.cameoId, distance: d };
      }
      const ok = best !== null && best.distance <= SAME_PERSON_MAX_DISTANCE;
      out.push({
        frame: f.index,
        timeSec: f.timeSec,
        descriptor: face.descriptor,
        matchedCameoId: ok ? best!.cameoId : null,
        distance: best?.distance ?? null,
      });
    }
    onFrame?.(f.index + 1);
  }
  return out;
}

function iou(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
