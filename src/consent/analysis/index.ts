export { analyseRecording } from './analyse';
export type { AnalysisDeps } from './analyse';
export type { AnalysisReport, CheckResult, CheckName } from './types';
export { fingerprintSimilarity, fingerprintSchema, REUPLOAD_SIMILARITY } from './fingerprint';
export type { Fingerprint } from './fingerprint';
export { fingerprintRecording } from './fingerprint-file';
export type { DigitRecogniser } from './digits';
export { VOICE_COEFFS } from './voice-template';
export { MAX_RECORDING_BYTES, MAX_RECORDING_SECONDS } from './limits';
