import sharp from 'sharp';
import type { Tensor3D } from '@tensorflow/tfjs';
import { faceRuntime, type FaceRuntime } from './runtime';
import type { Box, DetectedFace, Point, RgbImage } from './types';

export type Detector = 'ssd' | 'tiny';

export interface DetectOptions {
  /**
   * 'ssd' (default): SSD MobileNet v1, ~550 ms a 512 px frame here, finds close-ups.
   * 'tiny': the tiny detector (~55 ms at inputSize 224) run on a padded copy of the frame, because
   * unpadded it misses faces that fill most of the frame (selfie close-ups).
   */
  detector?: Detector;
  minScore?: number;
  /** Skip the 128-d descriptor (saves ~50 ms a face); `descriptor` is then empty. */
  descriptors?: boolean;
}

/** Decodes image bytes (JPEG, PNG, WebP...) to raw RGB with sharp. */
export async function decodeImage(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

export function rgbToTensor(rt: FaceRuntime, img: RgbImage): Tensor3D {
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`RGB buffer is ${img.data.length} bytes, expected ${img.width}x${img.height}x3`);
  }
  return rt.tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
}

function clipBox(b: Box, w: number, h: number): Box {
  const x = Math.max(0, Math.min(w - 1, b.x));
  const y = Math.max(0, Math.min(h - 1, b.y));
  return {
    x,
    y,
    width: Math.max(1, Math.min(w - x, b.width - (x - b.x))),
    height: Math.max(1, Math.min(h - y, b.height - (y - b.y))),
  };
}

/** Face boxes in a frame tensor (no landmarks). */
export async function detectBoxes(
  rt: FaceRuntime,
  frame: Tensor3D,
  opts: { detector?: Detector; minScore?: number } = {},
): Promise<{ box: Box; score: number }[]> {
  const { faceapi, tf } = rt;
  const [h, w] = frame.shape;
  if ((opts.detector ?? 'ssd') === 'ssd') {
    const dets = await faceapi.detectAllFaces(
      frame as never,
      new faceapi.SsdMobilenetv1Options({ minConfidence: opts.minScore ?? 0.5 }),
    );
    return dets.map((d) => ({ box: clipBox(d.box, w, h), score: d.score }));
  }
  // Padding by a quarter of the long side on every edge shrinks a close-up face to the scale the
  // tiny detector was trained on, at no cost in model input size.
  const pad = Math.round(Math.max(w, h) * 0.25);
  const padded = tf.tidy(() =>
    tf.pad(
      frame,
      [
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      128,
    ),
  ) as Tensor3D;
  try {
    const dets = await faceapi.detectAllFaces(
      padded as never,
      new faceapi.TinyFaceDetectorOptions({ inputSize: 224, scoreThreshold: opts.minScore ?? 0.4 }),
    );
    return dets.map((d) => ({
      box: clipBox({ x: d.box.x - pad, y: d.box.y - pad, width: d.box.width, height: d.box.height }, w, h),
      score: d.score,
    }));
  } finally {
    padded.dispose();
  }
}

/** The 68 landmarks of the face inside `box` (a detector box, or one tracked from the previous frame). */
export async function landmarksInBox(rt: FaceRuntime, frame: Tensor3D, box: Box): Promise<Point[]> {
  const { faceapi, tf } = rt;
  const [h, w] = frame.shape;
  const b = clipBox(
    {
      x: Math.round(box.x),
      y: Math.round(box.y),
      width: Math.round(box.width),
      height: Math.round(box.height),
    },
    w,
    h,
  );
  const crop = tf.slice(frame, [b.y, b.x, 0], [b.height, b.width, 3]) as Tensor3D;
  try {
    const lm = (await faceapi.nets.faceLandmark68Net.detectLandmarks(crop as never)) as InstanceType<
      FaceRuntime['faceapi']['FaceLandmarks68']
    >;
    return lm.positions.map((p) => [p.x + b.x, p.y + b.y] as Point);
  } finally {
    crop.dispose();
  }
}

/** The aligned face box face-api's recognition net expects, derived from the landmarks. */
export function alignedBox(rt: FaceRuntime, landmarks: Point[], w: number, h: number): Box {
  const { faceapi } = rt;
  // face-api's landmark objects take positions relative to the image (0..1) and scale them up.
  const lm = new faceapi.FaceLandmarks68(
    landmarks.map(([x, y]) => new faceapi.Point(x / w, y / h)),
    { width: w, height: h },
  );
  const r = lm.align();
  return clipBox({ x: r.x, y: r.y, width: r.width, height: r.height }, w, h);
}

export async function alignedFaceTensor(
  rt: FaceRuntime,
  frame: Tensor3D,
  landmarks: Point[],
): Promise<Tensor3D> {
  const [h, w] = frame.shape;
  const b = alignedBox(rt, landmarks, w, h);
  const x = Math.round(b.x);
  const y = Math.round(b.y);
  return rt.tf.slice(
    frame,
    [y, x, 0],
    [
      Math.max(1, Math.min(h - y, Math.round(b.height))),
      Math.max(1, Math.min(w - x, Math.round(b.width))),
      3,
    ],
  ) as Tensor3D;
}

/** 128-d descriptor of the face with these landmarks, computed on the landmark-aligned crop. */
export async function descriptorForLandmarks(
  rt: FaceRuntime,
  frame: Tensor3D,
  landmarks: Point[],
): Promise<Float32Array> {
  const crop = await alignedFaceTensor(rt, frame, landmarks);
  try {
    const d = await rt.faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop as never);
    return Float32Array.from(Array.isArray(d) ? d[0]! : d);
  } finally {
    crop.dispose();
  }
}

/**
 * Every face in an image: box, score, 68 landmarks and 128-d descriptor. Accepts raw RGB or image
 * bytes. Loads the models on first use.
 */
export async function detectFaces(
  input: RgbImage | Buffer,
  opts: DetectOptions = {},
): Promise<DetectedFace[]> {
  const rt = await faceRuntime();
  const img = Buffer.isBuffer(input) ? await decodeImage(input) : input;
  const frame = rgbToTensor(rt, img);
  try {
    const boxes = await detectBoxes(rt, frame, opts);
    const out: DetectedFace[] = [];
    for (const { box, score } of boxes) {
      const landmarks68 = await landmarksInBox(rt, frame, box);
      const descriptor =
        opts.descriptors === false
          ? new Float32Array(0)
          : await descriptorForLandmarks(rt, frame, landmarks68);
      out.push({ box, score, landmarks68, descriptor });
    }
    return out;
  } finally {
    frame.dispose();
  }
}
