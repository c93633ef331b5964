import type { IssuedCandidate } from './issued';

/** The geometry the picture detector undid to read the mark. */
export interface WatermarkTransform {
  /** how much the picture was scaled since it was marked (best reading) */
  scale: number;
  /** the scale at which the 8 px reference tile was found (what a confirmation must fold at) */
  tileScale?: number;
  rotationDeg: number;
  flipped: boolean;
  offsetX: number;
  offsetY: number;
}

export interface WatermarkDetection {
  detected: boolean;
  /**
   * code: the mark alone beat the threshold over every possible payload; ledger: its payload named
   * an identifier the ledger issued (issued.ts); null: not detected.
   */
  decidedBy?: 'code' | 'ledger' | null;
  payloadHex: string | null;
  /**
   * What vouches for the payload. The p-value says a mark is present; a payload read from a mark
   * too damaged to read can still pass its 16-bit CRC on a wrong list path. `ledger`: the ledger
   * issued it; `picture+sound`: both marks decoded it apart; `crc`: one decode and its CRC (confirm
   * against the ledger). null without a payload.
   */
  payloadCheck?: 'ledger' | 'picture+sound' | 'crc' | null;
  /**
   * With `crc`: how often a random wrong word passes the CRC as early in the list, (rank + 1) /
   * 65536 (the product over two agreeing decodes). An estimate, not a bound: the list paths of a
   * damaged mark are not random words and pass somewhat more often.
   */
  payloadCrcRate?: number | null;
  pValue: number;
  score: number;
  reason?: string;
  video?: {
    framesUsed: number;
    secondsUsed: number;
    segments: { startSec: number; endSec: number; detected: boolean }[];
    transform: WatermarkTransform;
  } | null;
  audio?: {
    secondsUsed: number;
    detected: boolean;
    payloadHex: string | null;
    pValue: number;
    /** the speed change the sound detector undid (1 = none), and whether it kept the pitch */
    speed: number;
    pitchKept: boolean;
  } | null;
  /** what was left unanalysed because an early look already settled it, as a sentence */
  skipped?: string;
  /**
   * CRC-valid payloads the picture or the sound decoded, charged for every test the file had: a
   * caller holding the ledger can decide on them when the code alone does not (issued.ts).
   */
  candidates?: IssuedCandidate[];
}
