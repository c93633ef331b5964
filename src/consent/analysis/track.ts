import type { Tensor3D } from '@tensorflow/tfjs';
import { detectBoxes, descriptorForLandmarks, landmarksInBox, rgbToTensor } from '../../faces/detect';
import type { FaceRuntime } from '../../faces/runtime';
import type { Box, Point } from '../../faces/types';
import type { DecodedFrames } from './decode';
import { DESCRIBE_EVERY, DETECT_EVERY } from './limits';

export interface FrameObservation {
  index: number;
  t: number;
  /** Faces the detector found in the whole frame; undefined on frames only tracked, not detected. */
  faceCount?: number;
  box?: Box;
  landmarks?: Point[];
  descriptor?: Float32Array;
}

export interface TrackHooks {
  /** Called on every frame that got a descriptor, with the frame tensor still alive (PAD models, sharpness). */
  onDescribed?: (obs: FrameObservation, frame: Tensor3D) => Promise<void>;
}

function landmarkBox(lm: Point[]): Box {
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

/**
 * Full-frame detection every DETECT_EVERY frames (face count, re-acquisition), landmarks on every
 * frame from a box carried over from the previous frame's landmarks, descriptors every
 * DESCRIBE_EVERY frames. Tracking keeps a 10 s recording inside the time budget: detection costs
 * ~55 ms a frame, landmarks on a crop ~15 ms.
 */
export async function trackFaces(
  rt: FaceRuntime,
  video: DecodedFrames,
  hooks: TrackHooks = {},
): Promise<FrameObservation[]> {
  const out: FrameObservation[] = [];
  // How the detector's box relates to the landmarks' bounding box (offset and scale), learnt on
  // detected frames so tracked crops look like the crops the landmark net was trained on.
  let calib = { dx: 0, dy: -0.12, sw: 1.1, sh: 1.15 };
  let prev: Point[] | undefined;
  for (let i = 0; i < video.frames.length; i++) {
    const obs: FrameObservation = { index: i, t: i / video.fps };
    const frame = rgbToTensor(rt, { data: video.frames[i]!, width: video.width, height: video.height });
    try {
      let box: Box | undefined;
      if (i % DETECT_EVERY === 0 || !prev) {
        let dets = await detectBoxes(rt, frame, { detector: 'tiny', minScore: 0.5 });
        // The tiny detector misses some faces SSD finds; only pay for SSD when it saw nothing.
        if (dets.length === 0) dets = await detectBoxes(rt, frame, { detector: 'ssd', minScore: 0.5 });
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
      } else if (prev) {
        const lb = landmarkBox(prev);
        const w = lb.width * calib.sw;
        const h = lb.height * calib.sh;
        const [cx, cy] = centre(lb);
        box = {
          x: cx + calib.dx * lb.width - w / 2,
          y: cy + calib.dy * lb.height - h / 2,
          width: w,
          height: h,
        };
      }
      if (box && box.width >= 24 && box.height >= 24) {
        const lm = await landmarksInBox(rt, frame, box);
        obs.box = box;
        obs.landmarks = lm;
        if (obs.faceCount !== undefined) {
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
          obs.descriptor = await descriptorForLandmarks(rt, frame, lm);
          await hooks.onDescribed?.(obs, frame);
        }
      } else {
        prev = undefined;
      }
    } finally {
      frame.dispose();
    }
    out.push(obs);
  }
  return out;
}
