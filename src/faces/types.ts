export type Point = [number, number];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Raw interleaved RGB pixels (3 bytes a pixel, row-major). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DetectedFace {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  /** The 68-point iBUG layout (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67), image pixels. */
  landmarks68: Point[];
  /** 128-d face embedding (face-api's ResNet-34 recognition net), unit-ish length. */
  descriptor: Float32Array;
}
