export { faceRuntime } from './runtime';
export type { FaceRuntime } from './runtime';
export {
  detectFaces,
  detectBoxes,
  landmarksInBox,
  descriptorForLandmarks,
  alignedFaceTensor,
  decodeImage,
  rgbToTensor,
} from './detect';
export type { DetectOptions, Detector } from './detect';
export {
  faceDistance,
  isSamePerson,
  meanDescriptor,
  medianDescriptor,
  SAME_PERSON_MAX_DISTANCE,
  SAME_PERSON_STRICT,
  DIFFERENT_PERSON_MIN_DISTANCE,
} from './match';
export type { Box, DetectedFace, Point, RgbImage } from './types';
export * from './geometry';
