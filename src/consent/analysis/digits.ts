import type { TimeWindow } from '../challenge';
import type { CheckResult } from './types';

/**
 * Recognises the digits spoken in a stretch of audio. No implementation ships: no speech
 * recogniser installable from npm here carries its weights (see README.md). When one is passed to
 * analyseRecording, the spoken-code check becomes decisive.
 */
export interface DigitRecogniser {
  /** The digits heard (only 0-9), with 0..1 confidence. */
  recognise(
    pcm: Float32Array,
    sampleRate: number,
    window: TimeWindow,
  ): Promise<{ digits: string; confidence: number }>;
}

export const SPOKEN_CODE_MIN_CONFIDENCE = 0.5;

export async function spokenCodeCheck(
  recogniser: DigitRecogniser | undefined,
  pcm: Float32Array,
  sampleRate: number,
  expected: string,
  window: TimeWindow,
): Promise<CheckResult> {
  if (!recogniser) {
    return {
      name: 'spoken-code',
      passed: null,
      decisive: false,
      score: 0,
      threshold: SPOKEN_CODE_MIN_CONFIDENCE,
      message: 'The spoken digits were not checked: no speech recogniser is configured.',
    };
  }
  const { digits, confidence } = await recogniser.recognise(pcm, sampleRate, window);
  const passed = digits === expected && confidence >= SPOKEN_CODE_MIN_CONFIDENCE;
  return {
    name: 'spoken-code',
    passed,
    decisive: true,
    score: digits === expected ? confidence : 0,
    threshold: SPOKEN_CODE_MIN_CONFIDENCE,
    message: passed
      ? 'We heard the code you were shown.'
      : 'We could not hear you say the code you were shown.',
    details: { heardLength: digits.length },
  };
}
