import { faceRuntime } from '../../faces/runtime';
import { meanDescriptor } from '../../faces/match';
import { challengeSchema, type Challenge } from '../challenge';
import { encodeJpeg, sharpness } from './best-frame';
import { oneFaceCheck, sameIdentityCheck } from './checks/face';
import { blinkCheck, headTurnsCheck, motionRealismCheck } from './checks/motion';
import { padCheck } from './checks/pad';
import { speechDuringCodeCheck, voiceMatchesFaceCheck } from './checks/voice';
import { analysisSize, decodeAudio, decodeFrames, decodeGray, probeRecording } from './decode';
import { eyeTrace } from './eyes';
import { spokenCodeCheck, type DigitRecogniser } from './digits';
import { computeFingerprint } from './fingerprint';
import { sha256File } from './fingerprint-file';
import { AUDIO_RATE, BLINK_FPS, SAMPLE_FPS } from './limits';
import { padScores, type PadScores } from './pad';
import { buildSeries, median } from './series';
import { trackFaces } from './track';
import type { AnalysisReport, CheckResult } from './types';
import { speechProbabilities } from './vad';
import { voiceTemplate } from './voice-template';

export interface AnalysisDeps {
  /** Checks the spoken code when present; none ships (see README.md). */
  digitRecogniser?: DigitRecogniser;
  /** Frames sampled per second (default SAMPLE_FPS). */
  fps?: number;
}

/**
 * Decides whether a recording proves a live person answering `challenge`. Throws Invalid,
 * UnsupportedMedia or PayloadTooLarge (src/http/errors) for files that are not a short video with
 * sound; everything about the content itself comes back as checks in the report, never as a throw.
 */
export async function analyseInThread(
  path: string,
  challenge: Challenge,
  deps: AnalysisDeps = {},
): Promise<AnalysisReport> {
  const ch = challengeSchema.parse(challenge);
  const timings: Record<string, number> = {};
  let t0 = Date.now();
  const lap = (k: string) => {
    const now = Date.now();
    timings[k] = now - t0;
    t0 = now;
  };
  const info = await probeRecording(path);
  const fps = deps.fps ?? SAMPLE_FPS;
  const [video, gray, pcm, sha256, rt] = await Promise.all([
    decodeFrames(path, info, fps),
    decodeGray(path, info, BLINK_FPS, analysisSize(info.width, info.height)),
    decodeAudio(path, info),
    sha256File(path),
    faceRuntime(),
  ]);
  lap('decodeMs');
  const probsP = speechProbabilities(pcm);

  const pads: PadScores[] = [];
  const sharp: { index: number; value: number }[] = [];
  const obs = await trackFaces(rt, video, {
    onDescribed: async (o, frame) => {
      pads.push(await padScores(rt, frame, o.box!));
      sharp.push({
        index: o.index,
        value: sharpness(video.frames[o.index]!, video.width, video.height, o.box!),
      });
    },
  });
  lap('facesMs');
  const probs = await probsP;
  lap('vadMs');

  const series = buildSeries(obs, fps);
  const checks: CheckResult[] = [
    oneFaceCheck(obs),
    sameIdentityCheck(obs),
    headTurnsCheck(series, ch),
    blinkCheck(series, eyeTrace(gray, series), ch.blink.window),
    motionRealismCheck(series),
    padCheck(pads),
    speechDuringCodeCheck(probs, ch),
    voiceMatchesFaceCheck(series, pcm),
    await spokenCodeCheck(deps.digitRecogniser, pcm, AUDIO_RATE, ch.code.digits, ch.code.window),
  ];

  const descriptors = obs.filter((o) => o.descriptor?.length === 128).map((o) => o.descriptor!);
  const faceTemplate = descriptors.length ? meanDescriptor(descriptors) : new Float32Array(128);

  // Best frame: the sharpest described frame among the most frontal half (open eyes, no turn).
  const yaw0 = median(series.yaw);
  const ear0 = median(series.ear);
  const frontal = sharp.filter(
    (s) => Math.abs(series.yaw[s.index]! - yaw0) < 0.1 && series.ear[s.index]! >= ear0 * 0.9,
  );
  const pool = frontal.length ? frontal : sharp;
  const best = pool.reduce<{ index: number; value: number } | undefined>(
    (a, b) => (!a || b.value > a.value ? b : a),
    undefined,
  );
  const bestIndex = best?.index ?? Math.floor(video.frames.length / 2);
  const bestFrameJpeg = await encodeJpeg(video.frames[bestIndex]!, video.width, video.height);

  const report: AnalysisReport = {
    accepted: checks.every((c) => !c.decisive || c.passed === true),
    checks,
    challengeId: ch.id,
    faceTemplate,
    voiceTemplate: voiceTemplate(pcm, probs),
    bestFrameJpeg,
    fingerprint: computeFingerprint(video, pcm),
    sha256,
    durationSec: info.durationSec,
    timings,
  };
  const failed = checks.find((c) => c.decisive && c.passed !== true);
  if (failed) report.reason = failed.message;
  lap('reportMs');
  return report;
}
