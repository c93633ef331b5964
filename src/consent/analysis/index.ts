/**
 * `analyseRecording` runs in the analysis worker thread (worker/host.ts) so it never blocks the
 * caller's event loop; `analyseInThread` is the same analysis on the calling thread (the worker
 * itself, and benches that time its stages).
 */
export { analyseInWorker as analyseRecording, AnalysisStopped, warmUpAnalysis } from './worker/host';
export type { WorkerAnalysisOptions } from './worker/host';
export { analyseInThread } from './analyse-in-thread';
export type { AnalysisDeps } from './analyse-in-thread';
export type { AnalysisReport, CheckResult, CheckName } from './types';
export { fingerprintSimilarity, fingerprintSchema, REUPLOAD_SIMILARITY } from './fingerprint';
export type { Fingerprint } from './fingerprint';
export { fingerprintRecording } from './fingerprint-file';
export type { DigitRecogniser } from './digits';
export { VOICE_COEFFS } from './voice-template';
export { MAX_RECORDING_BYTES, MAX_RECORDING_SECONDS } from './limits';
