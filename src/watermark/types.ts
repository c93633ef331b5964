export interface WatermarkTransform {
  scale: number;
  tileScale?: number;
  rotationDeg: number;
  flipped: boolean;
  offsetX: number;
  offsetY: number;
}

export interface WatermarkDetection {
  detected: boolean;
  payloadHex: string | null;
  pValue: number;
  score: number;
  reason?: string;
  video?: {
    framesUsed: number;
    secondsUsed: number;
    segments: { startSec: number; endSec: number; detected: boolean }[];
    transform: WatermarkTransform;
  } | null;
  audio?: { secondsUsed: number; detected: boolean; payloadHex: string | null; pValue: number } | null;
  /** what was left unanalysed because an early look already settled it, as a sentence */
  skipped?: string;
}
