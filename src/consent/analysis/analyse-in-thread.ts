import { rgbToTensor } from '../../faces/detect';
import { faceRuntime, type FaceRuntime } from '../../faces/runtime';
import { meanDescriptor } from '../../faces/match';
import { challengeSchema, type Challenge } from '../challenge';
import { encodeJpeg, sharpness } from './best-frame';
import { oneFaceCheck, sameIdentityCheck } from './checks/face';
import { blinkCheck, headTurnsCheck, motionRealismCheck } from './checks/motion';
import { padCheck } from './checks/pad';
import { speechDuringCodeCheck, voiceMatchesFaceCheck } from './checks/voice';
import {
  analysisSize,
  decodeAudio,
  decodeVideoStream,
  probePicture,
  probeRecording,
  type PictureProbe,
} from './decode';
import { eyeTrace } from './eyes';
import { spokenCodeCheck, type DigitRecogniser } from './digits';
import { computeFingerprint, FP_FPS } from './fingerprint';
import { sha256File } from './fingerprint-file';
import { AUDIO_RATE, BLINK_FPS, DESCRIBE_EVERY, SAMPLE_FPS } from './limits';
import { padScores, type PadScores } from './pad';
import { buildSeries, median } from './series';
import { emptyTrackStats, findFaces, landmarkBox, trackFaces } from './track';
import { childrenCpuMs, threadCpuMs } from './cpu';
import type { AnalysisReport, CheckResult } from './types';
import { speechProbabilitiesTimed } from './vad';
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
  // Wall (…Ms) and CPU (…CpuMs: this thread, plus ffmpeg children for decoding) per stage.
  const timings: Record<string, number> = {};
  const start = { wall: performance.now(), cpu: threadCpuMs(), kids: childrenCpuMs() };
  let mark = { ...start };
  const lap = (k: string) => {
    const now = { wall: performance.now(), cpu: threadCpuMs(), kids: childrenCpuMs() };
    timings[`${k}Ms`] = Math.round(now.wall - mark.wall);
    timings[`${k}CpuMs`] = Math.round(now.cpu - mark.cpu + now.kids - mark.kids);
    timings[`${k}FfmpegCpuMs`] = Math.round(now.kids - mark.kids);
    mark = now;
  };
  const info = await probeRecording(path);
  const fps = deps.fps ?? SAMPLE_FPS;
  // Audio and hashing need nothing else: start them first.
  const audioP = decodeAudio(path, info);
  const sha256P = sha256File(path);
  audioP.catch(() => undefined);
  sha256P.catch(() => undefined);
  const [probe, rt] = await Promise.all([probePicture(path, info), faceRuntime()]);
  const crop = probe.crop;
  const faceHeight = await probeFaceHeight(rt, probe);
  const size = analysisSize(crop.width, crop.height, faceHeight);
  lap('probe');
  // Not times, but what the times depend on.
  timings['frame.width'] = size.width;
  timings['frame.height'] = size.height;
  timings['frame.probedFaceHeight'] = Math.round(faceHeight ?? 0);
  // Decoding streams: face work starts on the first frame while ffmpeg decodes the rest (on
  // another core), and Silero runs beside the faces in its own thread. Only the frames the
  // fingerprint and the descriptors use are kept once tracked.
  const fpStep = Math.max(1, Math.round(fps / FP_FPS));
  const keep = (i: number) => i % fpStep === 0 || i % DESCRIBE_EVERY === 0;
  const stream = decodeVideoStream(path, info, crop, size, fps, BLINK_FPS, keep);
  const vadP = audioP.then((pcm) => speechProbabilitiesTimed(pcm));
  vadP.catch(() => undefined);

  const pads: PadScores[] = [];
  const sharp: { index: number; value: number }[] = [];
  const stats = emptyTrackStats();
  const obs = await trackFaces(
    rt,
    stream,
    {
      onDescribed: async (o, frame, rgb) => {
        // Advisory scores (checks/pad.ts): every other described frame is plenty.
        if (o.index % (2 * DESCRIBE_EVERY) === 0) pads.push(await padScores(rt, frame, o.box!));
        sharp.push({ index: o.index, value: sharpness(rgb, stream.width, stream.height, o.box!) });
      },
    },
    stats,
  );
  const [{ video, gray }, pcm, sha256] = await Promise.all([stream.done, audioP, sha256P]);
  lap('faces');
  for (const [k, v] of Object.entries(stats)) timings[`faces.${k}`] = Math.round(v);
  const vad = await vadP;
  const probs = vad.probs;
  lap('vadWait');
  timings.vadMs = vad.ms;
  timings.vadCpuMs = vad.cpuMs;

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
  const bestIndex = best?.index ?? Math.floor(video.frames.length / 2 / fpStep) * fpStep;
  const bestFrameJpeg = await encodeJpeg(video.frames[bestIndex]!, video.width, video.height);

  const report: AnalysisReport = {
    accepted: checks.every((c) => !c.decisive || c.passed === true),
    checks,
    challengeId: ch.id,
    faceTemplate,
    voiceTemplate: voiceTemplate(pcm, probs),
    bestFrameJpeg,
    fingerprint: computeFingerprint(
      video,
      pcm,
      obs.map((o) => (o.landmarks ? landmarkBox(o.landmarks) : undefined)),
    ),
    sha256,
    durationSec: info.durationSec,
    timings,
  };
  const failed = checks.find((c) => c.decisive && c.passed !== true);
  if (failed) report.reason = failed.message;
  lap('report');
  timings.totalMs = Math.round(performance.now() - start.wall);
  timings.totalCpuMs = Math.round(
    threadCpuMs() - start.cpu + childrenCpuMs() - start.kids + Math.max(0, vad.cpuMs),
  );
  return report;
}

/**
 * Height of the largest face in a few probe frames (median), in source pixels of the crop;
 * undefined when none is found (the analysis then uses the default frame size).
 */
async function probeFaceHeight(rt: FaceRuntime, probe: PictureProbe): Promise<number | undefined> {
  const { width, height, data } = probe.frames;
  const picks = [...new Set([0, data.length >> 1, data.length - 1])].filter((i) => data[i]);
  const heights: number[] = [];
  for (const i of picks) {
    const t = rgbToTensor(rt, { data: data[i]!, width, height });
    try {
      const { dets } = await findFaces(rt, t, { ssd: false });
      if (dets.length) heights.push(Math.max(...dets.map((d) => d.box.height)));
    } finally {
      t.dispose();
    }
  }
  if (!heights.length) return undefined;
  heights.sort((a, b) => a - b);
  return heights[heights.length >> 1]! * (probe.crop.height / height);
}
