import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { detectFaces, faceDistance, SAME_PERSON_MAX_DISTANCE, type DetectedFace } from '../faces';
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
export async function sampleFrames(
  file: string,
  width: number,
  height: number,
  signal?: AbortSignal,
): Promise<SampledFrame[]> {
  const w = Math.min(SCAN_WIDTH, width) & ~1;
  const h = Math.round((height * w) / width) & ~1;
  const frameBytes = w * h * 3;
  const child = spawn(
    ffmpegBin(),
    [
      '-v',
      'error',
      '-i',
      file,
      '-an',
      '-vf',
      `fps=${SCAN_FPS},scale=${w}:${h}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
  const code: number | null = await new Promise((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.on('close', r),
  );
  signal?.removeEventListener('abort', onAbort);
  if (signal?.aborted) throw new Error('The scan was cancelled.');
  if (code !== 0) throw new Error(`Sampling frames failed: ${err.slice(-500)}`);
  return Promise.all(
    raw.map(async (b, index) => ({
      index,
      timeSec: index / SCAN_FPS,
      rgb: { data: new Uint8Array(b.buffer, b.byteOffset, b.length), width: w, height: h },
      jpeg: await sharp(b, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer(),
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
  const nearest = (descriptor: Float32Array) => {
    let best: { cameoId: string; distance: number } | null = null;
    for (const t of templates) {
      const d = faceDistance(descriptor, t.faceTemplate);
      if (!best || d < best.distance) best = { cameoId: t.cameoId, distance: d };
    }
    return best;
  };
  for (const f of frames) {
    const tiny = await detectFaces(f.rgb, { detector: 'tiny', minScore: 0.4 });
    let ssd: DetectedFace[] | null =
      f.index % SSD_EVERY === 0 ? await detectFaces(f.rgb, { detector: 'ssd', minScore: 0.5 }) : null;
    const faces: DetectedFace[] = [...(ssd ?? [])];
    for (const t of tiny) {
      if (faces.some((x) => iou(x.box, t.box) > 0.3)) continue;
      const best = nearest(t.descriptor);
      if (best && best.distance <= SAME_PERSON_MAX_DISTANCE) {
        faces.push(t);
        continue;
      }
      // The tiny detector alone saw a face nobody asked for: the SSD detector must confirm it
      // (the tiny one fires on some shapes), and its better-aligned descriptor decides who it is.
      ssd ??= await detectFaces(f.rgb, { detector: 'ssd', minScore: 0.5 });
      const confirmed = ssd.find((x) => iou(x.box, t.box) > 0.3);
      if (confirmed && !faces.includes(confirmed)) faces.push(confirmed);
    }
    for (const face of faces) {
      const best = nearest(face.descriptor);
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

function iou(
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
