import type { Tensor3D } from '@tensorflow/tfjs';
import { detectBoxes, descriptorForLandmarks, landmarksInBox, rgbToTensor } from '../../faces/detect';
import type { FaceRuntime } from '../../faces/runtime';
import type { Box, Point } from '../../faces/types';
import type { DecodedFrames } from './decode';

/** Frames in order, possibly still being decoded (decode.ts FrameStream). */
export interface FrameSource {
  fps: number;
  width: number;
  height: number;
  frame(i: number): Promise<Uint8Array | undefined>;
}

export function arraySource(v: DecodedFrames): FrameSource {
  return { fps: v.fps, width: v.width, height: v.height, frame: (i) => Promise.resolve(v.frames[i]) };
}
import { threadCpuMs } from './cpu';
import { DESCRIBE_EVERY, DETECT_EVERY, FACE_TARGET_PX } from './limits';

export interface FrameObservation {
  index: number;
  t: number;
  /** Faces the detector found in the whole frame; undefined on frames only tracked, not detected. */
  faceCount?: number;
  /** A detection frame where the detectors found nothing but the face was tracked from the last frame. */
  trackedThroughMiss?: boolean;
  box?: Box;
  landmarks?: Point[];
  descriptor?: Float32Array;
}

/** Where the face work goes (milliseconds of wall time on this thread, and counts). */
export interface TrackStats {
  detectMs: number;
  detections: number;
  ssdCalls: number;
  landmarksMs: number;
  landmarkFrames: number;
  describeMs: number;
  descriptors: number;
  hookMs: number;
  /** CPU of this thread over the whole tracking loop. */
  threadCpuMs: number;
}

export function emptyTrackStats(): TrackStats {
  return {
    detectMs: 0,
    detections: 0,
    ssdCalls: 0,
    landmarksMs: 0,
    landmarkFrames: 0,
    describeMs: 0,
    descriptors: 0,
    hookMs: 0,
    threadCpuMs: 0,
  };
}

export interface TrackHooks {
  /** Called on every frame that got a descriptor, with the frame tensor still alive (PAD models, sharpness). */
  onDescribed?: (obs: FrameObservation, frame: Tensor3D, rgb: Uint8Array) => Promise<void>;
}

export function landmarkBox(lm: Point[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of lm) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function centre(b: Box): [number, number] {
  return [b.x + b.width / 2, b.y + b.height / 2];
}

/** The crop for this frame's landmarks, from the previous frame's landmarks and the learnt calibration. */
function trackedBox(prev: Point[], calib: { dx: number; dy: number; sw: number; sh: number }): Box {
  const lb = landmarkBox(prev);
  const w = lb.width * calib.sw;
  const h = lb.height * calib.sh;
  const [cx, cy] = centre(lb);
  return { x: cx + calib.dx * lb.width - w / 2, y: cy + calib.dy * lb.height - h / 2, width: w, height: h };
}

/**
 * Faces in a whole frame. The frames are scaled so the face is about FACE_TARGET_PX tall
 * (decode.ts analysisSize), so how big it is relative to the frame depends on the framing: a
 * close-up fills a square frame, a face in a wide 720p frame takes a quarter of its width. The
 * padded tiny detector (src/faces detectBoxes) suits close-ups and misses small faces; the tiny
 * detector unpadded at a larger input suits those. Both are tried, the likelier one first;
 * SSD (~10x the cost) only when neither sees a face.
 */
export async function findFaces(
  rt: FaceRuntime,
  frame: Tensor3D,
  opts: { ssd?: boolean } = {},
): Promise<{ dets: { box: Box; score: number }[]; ssd: boolean }> {
  const [h, w] = frame.shape;
  const small = FACE_TARGET_PX / Math.max(w, h) < 0.4;
  const padded = () => detectBoxes(rt, frame, { detector: 'tiny', minScore: 0.5 });
  const unpadded = async () =>
    (
      await rt.faceapi.detectAllFaces(
        frame as never,
        new rt.faceapi.TinyFaceDetectorOptions({ inputSize: 320, scoreThreshold: 0.5 }),
      )
    ).map((d) => ({ box: clip(d.box, w, h), score: d.score }));
  const order = small ? [unpadded, padded] : [padded, unpadded];
  for (const f of order) {
    const dets = await f();
    if (dets.length) return { dets, ssd: false };
  }
  if (opts.ssd === false) return { dets: [], ssd: false };
  return { dets: await detectBoxes(rt, frame, { detector: 'ssd', minScore: 0.5 }), ssd: true };
}

function clip(b: Box, w: number, h: number): Box {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  return { x, y, width: Math.min(w - x, b.x + b.width - x), height: Math.min(h - y, b.y + b.height - y) };
}

/**
 * Detection frames in a row on which the detectors may see no face while the landmarks keep
 * tracking it (2 = one second at 8 fps, detecting every 4th frame).
 */
export const MAX_BRIDGED_MISSES = 2;

/**
 * Full-frame detection every DETECT_EVERY frames (face count, re-acquisition), landmarks on every
 * frame from a box carried over from the previous frame's landmarks, descriptors every
 * DESCRIBE_EVERY frames. Tracking keeps a 10 s recording inside the time budget: detection costs
 * ~55 ms a frame, landmarks on a crop ~15 ms.
 */
export async function trackFaces(
  rt: FaceRuntime,
  video: FrameSource,
  hooks: TrackHooks = {},
  stats: TrackStats = emptyTrackStats(),
): Promise<FrameObservation[]> {
  const out: FrameObservation[] = [];
  // How the detector's box relates to the landmarks' bounding box (offset and scale), learnt on
  // detected frames so tracked crops look like the crops the landmark net was trained on.
  let calib = { dx: 0, dy: -0.12, sw: 1.1, sh: 1.15 };
  let prev: Point[] | undefined;
  let misses = 0;
  const cpu0 = threadCpuMs();
  for (let i = 0; ; i++) {
    const rgb = await video.frame(i);
    if (!rgb) break;
    const obs: FrameObservation = { index: i, t: i / video.fps };
    const frame = rgbToTensor(rt, { data: rgb, width: video.width, height: video.height });
    try {
      let box: Box | undefined;
      if (i % DETECT_EVERY === 0 || !prev) {
        const t0 = performance.now();
        const found = await findFaces(rt, frame);
        const dets = found.dets;
        if (found.ssd) stats.ssdCalls++;
        stats.detectMs += performance.now() - t0;
        stats.detections++;
        obs.faceCount = dets.length;
        if (dets.length > 0) {
          const ref = prev ? centre(landmarkBox(prev)) : undefined;
          const pick = ref
            ? dets.reduce((a, b) => {
                const da = Math.hypot(centre(a.box)[0] - ref[0], centre(a.box)[1] - ref[1]);
                const db = Math.hypot(centre(b.box)[0] - ref[0], centre(b.box)[1] - ref[1]);
                return db < da ? b : a;
              })
            : dets.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
          box = pick.box;
        }
        if (dets.length > 0) misses = 0;
        else if (prev && ++misses <= MAX_BRIDGED_MISSES) {
          // The detectors lose a face at the far end of a turn or in heavy compression while the
          // landmarks still follow it: keep tracking, and let one-face judge the gap.
          box = trackedBox(prev, calib);
          obs.trackedThroughMiss = true;
        }
      } else if (prev) {
        box = trackedBox(prev, calib);
      }
      if (box && box.width >= 24 && box.height >= 24) {
        const t1 = performance.now();
        const lm = await landmarksInBox(rt, frame, box);
        stats.landmarksMs += performance.now() - t1;
        stats.landmarkFrames++;
        obs.box = box;
        obs.landmarks = lm;
        if (obs.faceCount !== undefined && !obs.trackedThroughMiss) {
          const lb = landmarkBox(lm);
          const [bx, by] = centre(box);
          const [lx, ly] = centre(lb);
          calib = {
            dx: (bx - lx) / lb.width,
            dy: (by - ly) / lb.height,
            sw: box.width / lb.width,
            sh: box.height / lb.height,
          };
        }
        prev = lm;
        if (i % DESCRIBE_EVERY === 0) {
          const t2 = performance.now();
          obs.descriptor = await descriptorForLandmarks(rt, frame, lm);
          const t3 = performance.now();
          await hooks.onDescribed?.(obs, frame, rgb);
          stats.describeMs += t3 - t2;
          stats.hookMs += performance.now() - t3;
          stats.descriptors++;
        }
      } else {
        prev = undefined;
      }
    } finally {
      frame.dispose();
    }
    out.push(obs);
  }
  stats.threadCpuMs = threadCpuMs() - cpu0;
  return out;
}
