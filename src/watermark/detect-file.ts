import fs from 'node:fs';
import { Invalid, UnsupportedMedia } from '../http/errors';
import type { AudioDetection } from './audio';
import { AudioSearchStopped, detectAudioOffThread } from './audio-off-thread';
import { checkKey, decodeStill, imageFormat } from './file-io';
import {
  chargeCandidates,
  issuedPValue,
  ISSUED_P_THRESHOLD,
  lookUpIssued,
  reconcileWithLedger,
  type CodeDecision,
  type IssuedDecision,
  type IssuedLookup,
} from './issued';
import {
  chargeEvidence,
  jointEvidence,
  matchIssued,
  matchLedger,
  type IssuedScan,
  type MarkEvidence,
} from './issued-match';
import { confirmLuma, LumaAccumulator, MIN_SIDE, type LumaDetection } from './luma';
import { startLumaDetector } from './luma-off-thread';
import { decodeAudio, decodeLuma, probeMedia } from './media';
import type { WatermarkDetection } from './types';

const SEGMENT_SEC = 3;
/** Audio is analysed at 16 kHz: everything the mark needs survives a 16 kHz resample. */
const AUDIO_DETECT_RATE = 16000;

/** What vouches for a reported payload (WatermarkDetection.payloadCheck). */
function payloadTrust(
  payloadHex: string | null,
  ledgerConfirmed: boolean,
  decodes: { payloadHex: string | null; payloadCrcRate?: number }[],
): Pick<WatermarkDetection, 'payloadCheck' | 'payloadCrcRate'> {
  if (!payloadHex) return { payloadCheck: null, payloadCrcRate: null };
  if (ledgerConfirmed) return { payloadCheck: 'ledger', payloadCrcRate: null };
  const agree = decodes.filter((d) => d.payloadHex === payloadHex);
  // two CRCs over independent readings: both wrong is the product at most
  const bound = agree.reduce((b, d) => b * (d.payloadCrcRate ?? 1), 1);
  return { payloadCheck: agree.length > 1 ? 'picture+sound' : 'crc', payloadCrcRate: bound };
}

function fromLuma(
  d: LumaDetection,
): Pick<WatermarkDetection, 'detected' | 'payloadHex' | 'pValue' | 'score' | 'reason'> {
  return {
    detected: d.detected,
    payloadHex: d.payloadHex,
    pValue: d.pValue,
    score: d.score,
    reason: d.reason,
  };
}

async function detectImage(
  p: string,
  key: Buffer,
  issued?: IssuedLookup,
  issuedScan?: IssuedScan,
): Promise<WatermarkDetection> {
  const picture = startLumaDetector(key);
  let d: LumaDetection;
  try {
    const { data, info } = await decodeStill(p);
    const { width: w, height: h, channels: c } = info;
    const y = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++)
      y[i] = 0.299 * data[i * c] + 0.587 * data[i * c + 1] + 0.114 * data[i * c + 2];
    d = await picture.detect(y, w, h, { originPrior: true });
  } finally {
    picture.close();
  }
  let byIssued: IssuedDecision | null = null;
  let confirmed = false;
  if (!(d.detected && d.payloadHex)) {
    if (issued) byIssued = await lookUpIssued(d.candidates ?? [], issued);
    if (!byIssued && issuedScan && d.evidence?.length) byIssued = await matchLedger(d.evidence, issuedScan);
  } else if (issued) {
    const r = await reconcileWithLedger(
      [{ payloadHex: d.payloadHex, source: 'picture' }],
      d.candidates ?? [],
      issued,
    );
    confirmed = r === null;
    if (r?.decidedBy === 'ledger') byIssued = r;
    if (r?.decidedBy === 'unissued' && issuedScan && d.evidence?.length)
      byIssued = await matchLedger(d.evidence, issuedScan);
  }
  return {
    ...fromLuma(d),
    ...(byIssued
      ? { detected: true, payloadHex: byIssued.payloadHex, pValue: byIssued.pValue, reason: undefined }
      : {}),
    ...payloadTrust(byIssued?.payloadHex ?? d.payloadHex, confirmed || !!byIssued, [d]),
    decidedBy: byIssued ? 'ledger' : d.detected ? 'code' : null,
    candidates: d.candidates ?? [],
    video: { framesUsed: 1, secondsUsed: 0, segments: [], transform: d.transform ?? identity() },
    audio: null,
  };
}

/**
 * The matched test on a clip's readings, each charged for every matched test the clip can run:
 * the picture's, then the sound's, then both together. `jointPicture` pairs with the sound when
 * the picture's own test already ran.
 */
async function matchReadings(
  picture: MarkEvidence[],
  sound: MarkEvidence[],
  matchedTests: number,
  scan: IssuedScan,
  jointPicture: MarkEvidence[] = picture,
): Promise<IssuedDecision | null> {
  if (picture.length) {
    const m = await matchLedger(chargeEvidence(picture, matchedTests), scan);
    if (m) return m;
  }
  if (sound.length) {
    const m = await matchLedger(chargeEvidence(sound, matchedTests), scan);
    if (m) return m;
  }
  if (jointPicture.length && sound.length)
    return matchLedger(chargeEvidence(jointEvidence(jointPicture, sound), matchedTests), scan);
  return null;
}

function meanOf(accs: LumaAccumulator[]): Float32Array {
  const m = new Float32Array(accs[0].sum.length);
  let n = 0;
  for (const a of accs) {
    const s = a.sum;
    for (let i = 0; i < m.length; i++) m[i] += s[i];
    n += a.frames;
  }
  for (let i = 0; i < m.length; i++) m[i] /= n;
  return m;
}

function identity() {
  return { scale: 1, rotationDeg: 0, flipped: false, offsetX: 0, offsetY: 0 };
}

async function detectAudioTrack(p: string, maxSeconds: number): Promise<{ pcm: Float32Array } | null> {
  try {
    return { pcm: await decodeAudio(p, AUDIO_DETECT_RATE, 1, maxSeconds) };
  } catch {
    return null;
  }
}

/** How detectFile reads a file (the verifier passes the ledger's lookups). */
export interface DetectFileOptions {
  maxSeconds?: number;
  /**
   * Look once after this many seconds of picture: a mark found there with its identifier ends the
   * analysis (the rest of the picture and the sound are not decoded). Two looks share the
   * false-detection budget, so each p-value carries a factor of two.
   */
  quickSeconds?: number;
  /** Called once it is known that the whole clip will be read (no quick look, or it did not settle). */
  onUndecided?: () => void;
  /**
   * The ledger: when the code alone does not decide, a decoded payload that names an identifier
   * it issued does, at a p-value charged for how many it issued (issued.ts).
   */
  issued?: IssuedLookup;
  /**
   * Every identifier the ledger issued: a picture or sound whose payload neither the code nor the
   * list test decides is matched against each of them (issued-match.ts).
   */
  issuedScan?: IssuedScan;
}

/** Sniffs image / video / audio and reports the mark. Unreadable files throw; odd content does not. */
export async function detectFile(
  p: string,
  key: Buffer,
  opts: DetectFileOptions = {},
): Promise<WatermarkDetection> {
  checkKey(key);
  if (!fs.existsSync(p)) throw new Invalid('file_not_found', `No file at ${p}.`);
  if (await imageFormat(p)) return detectImage(p, key, opts.issued, opts.issuedScan);
  const info = await probeMedia(p);
  const maxSeconds = opts.maxSeconds ?? 10;
  if (!info.video && !info.audio)
    throw new UnsupportedMedia('no_media_streams', 'The file has neither video nor audio.');
  const pictureUsable = !!info.video && info.video.width >= MIN_SIDE && info.video.height >= MIN_SIDE;
  const quick =
    pictureUsable && opts.quickSeconds !== undefined && opts.quickSeconds < maxSeconds
      ? opts.quickSeconds
      : null;
  // The sound is decoded by its own ffmpeg and searched on its own thread from the start, beside
  // the picture; a quick look that settles the clip cancels it. null: the sound was undecodable.
  const audio: { result: Promise<AudioDetection | null> | null } = { result: null };
  const audioStop = new AbortController();
  if (info.audio) {
    audio.result = detectAudioTrack(p, maxSeconds)
      .then((a) =>
        a && !audioStop.signal.aborted
          ? detectAudioOffThread(a.pcm, AUDIO_DETECT_RATE, key, { signal: audioStop.signal })
          : null,
      )
      .catch((e: unknown) => {
        if (e instanceof AudioSearchStopped) return null;
        throw e;
      });
    // Once cancelled nobody awaits it: a late failure must not become an unhandled rejection.
    audio.result.catch(() => undefined);
  }
  let undecided = false;
  const markUndecided = () => {
    if (undecided) return;
    undecided = true;
    opts.onUndecided?.();
  };
  if (quick === null) markUndecided();
  // The tests this file can have (picture, sound), fixed before either runs: each ledger-aided
  // decision is charged for all of them.
  const plannedTests = (pictureUsable ? 1 : 0) + (info.audio ? 1 : 0) || 1;
  // The matched test can also read both marks together (they carry the same coded word): one more
  // test sharing its budget when the file has both.
  const matchedTests = plannedTests + (pictureUsable && info.audio ? 1 : 0);
  let byIssued: IssuedDecision | null = null;
  let pictureMatched = false;
  let video: WatermarkDetection['video'] = null;
  let vd: LumaDetection | null = null;
  let skipped: string | undefined;
  const reasons: string[] = [];
  if (info.video) {
    const { width: w, height: h } = info.video;
    if (!pictureUsable) reasons.push(`video ${w}x${h} is smaller than the ${MIN_SIDE}px minimum`);
    else {
      // Started now, the detector's worker is ready when the frames are summed.
      const picture = startLumaDetector(key);
      try {
        // Each frame is added once, to its timeline segment; the whole clip is the sum of those.
        const segs: { acc: LumaAccumulator; start: number; end: number }[] = [];
        let looked = false;
        for await (const f of decodeLuma(p, info, maxSeconds)) {
          if (quick !== null && !looked && f.timeSec >= quick) {
            looked = true;
            const used = segs.filter((s) => s.acc.frames > 0);
            const d = await picture.detect(meanOf(used.map((s) => s.acc)), w, h, {
              originPrior: true,
              looks: 2,
              cheapOnly: true,
            });
            if (d.detected && d.payloadHex) {
              vd = d;
              skipped = `The first ${quick} s of the picture carried the mark with its identifier, so the rest of the picture${info.audio ? ' and the sound were' : ' was'} not analysed.`;
              audioStop.abort();
              audio.result = null;
              break;
            }
            markUndecided();
          }
          const si = Math.floor(f.timeSec / SEGMENT_SEC);
          while (segs.length <= si)
            segs.push({
              acc: new LumaAccumulator(w, h),
              start: segs.length * SEGMENT_SEC,
              end: segs.length * SEGMENT_SEC,
            });
          segs[si].acc.add(new Uint8Array(f.y.buffer, f.y.byteOffset, w * h));
          segs[si].end = f.timeSec + 1 / info.video.fps;
        }
        if (!skipped) markUndecided();
        const used = segs.filter((s) => s.acc.frames > 0);
        const frames = used.reduce((n, s) => n + s.acc.frames, 0);
        if (frames === 0) reasons.push('the video stream has no decodable frames');
        else {
          // A delivered clip re-encoded, trimmed or halved keeps the tile at the frame's origin: that
          // test costs a handful of trials instead of the search's hundreds of millions.
          vd ??= await picture.detect(meanOf(used.map((s) => s.acc)), w, h, {
            originPrior: true,
            looks: looked ? 2 : 1,
          });
          // A picture proven marked without its payload read goes to the ledger's tests too.
          const pictureNamed = vd.detected && !!vd.payloadHex;
          if (!pictureNamed && opts.issued)
            byIssued = await lookUpIssued(chargeCandidates(vd.candidates ?? [], plannedTests), opts.issued);
          if (!pictureNamed && !byIssued && vd.evidence?.length && opts.issuedScan) {
            pictureMatched = true;
            byIssued = await matchLedger(chargeEvidence(vd.evidence, matchedTests), opts.issuedScan);
          }
          const t = vd.transform;
          const found = vd;
          const hit = byIssued;
          // Segments are checked only at the geometry the whole clip revealed: one fold each. After a
          // ledger-aided decision a segment counts when it decodes that identifier within the budget.
          const confirmed = (acc: LumaAccumulator): boolean => {
            if (!t || (!found.detected && !hit)) return false;
            const c = confirmLuma(acc.mean(), w, h, key, t, found.trials);
            if (found.detected && found.payloadHex) return c.detected;
            if (!hit) return c.detected;
            return (
              chargeCandidates(c.candidates, plannedTests).some(
                (x) =>
                  x.payloadHex === hit.payloadHex && issuedPValue(x, hit.issuedCount) <= ISSUED_P_THRESHOLD,
              ) ||
              matchIssued(chargeEvidence(c.evidence, matchedTests), [hit.payloadHex], hit.issuedCount) !==
                null
            );
          };
          const segments =
            used.length > 1
              ? used.map((s) => ({ startSec: s.start, endSec: s.end, detected: confirmed(s.acc) }))
              : [{ startSec: 0, endSec: frames / info.video.fps, detected: vd.detected || !!byIssued }];
          video = {
            framesUsed: frames,
            secondsUsed: frames / info.video.fps,
            segments,
            transform: vd.transform ?? identity(),
          };
          if (!vd.detected && !byIssued && vd.reason) reasons.push(`video: ${vd.reason}`);
        }
      } finally {
        picture.close();
      }
    }
  } else markUndecided();
  let ad: AudioDetection | null = null;
  if (audio.result) {
    ad = await audio.result;
    if (!ad) reasons.push('audio: the audio stream could not be decoded');
    if (ad && !ad.detected && ad.reason) reasons.push(`audio: ${ad.reason}`);
  }
  // Two independent tests: Bonferroni over both keeps the false-detection bound.
  const tests = (vd ? 1 : 0) + (ad ? 1 : 0) || 1;
  const pv = Math.min(1, tests * Math.min(vd?.pValue ?? 1, ad?.pValue ?? 1));
  const byCode = Boolean(vd?.detected || ad?.detected);
  // A mark can be proven present (sync alone below 1e-9) with its payload unread: the ledger's
  // tests still name the identifier then.
  const named = Boolean((vd?.detected && vd.payloadHex) || (ad?.detected && ad.payloadHex));
  const candidates = chargeCandidates([...(vd?.candidates ?? []), ...(ad?.candidates ?? [])], plannedTests);
  if (!named && !byIssued && ad && opts.issued)
    byIssued = await lookUpIssued(chargeCandidates(ad.candidates ?? [], plannedTests), opts.issued);
  if (!named && !byIssued && opts.issuedScan)
    byIssued = await matchReadings([], ad?.evidence ?? [], matchedTests, opts.issuedScan, vd?.evidence ?? []);
  let payloadHex = vd?.payloadHex ?? ad?.payloadHex ?? byIssued?.payloadHex ?? null;
  let decidedBy: WatermarkDetection['decidedBy'] = named
    ? 'code'
    : byIssued
      ? 'ledger'
      : byCode
        ? 'code'
        : null;
  let confirmed = false;
  if (named && opts.issued) {
    const decided: CodeDecision[] = [];
    if (vd?.detected && vd.payloadHex) decided.push({ payloadHex: vd.payloadHex, source: 'picture' });
    if (ad?.detected && ad.payloadHex) decided.push({ payloadHex: ad.payloadHex, source: 'sound' });
    const r = await reconcileWithLedger(decided, candidates, opts.issued);
    confirmed = r === null || r.decidedBy === 'code';
    if (r?.decidedBy === 'code') payloadHex = r.payloadHex;
    let hit: IssuedDecision | null = r?.decidedBy === 'ledger' ? r : null;
    // The code named an identifier the ledger never issued, which may be a list path past the right
    // one: the readings are matched against what it issued, as when nothing was named (the same
    // tests, so the same charge).
    if (r?.decidedBy === 'unissued')
      hit =
        byIssued ??
        (opts.issuedScan
          ? await matchReadings(
              pictureMatched ? [] : (vd?.evidence ?? []),
              ad?.evidence ?? [],
              matchedTests,
              opts.issuedScan,
              vd?.evidence ?? [],
            )
          : null);
    if (hit) {
      byIssued = hit;
      payloadHex = hit.payloadHex;
      decidedBy = 'ledger';
    }
  }
  const detected = byCode || !!byIssued;
  const decodes = [vd, ad].map((d) => ({
    payloadHex: d?.detected ? d.payloadHex : null,
    payloadCrcRate: d?.payloadCrcRate,
  }));
  const trust = payloadTrust(payloadHex, confirmed || decidedBy === 'ledger', decodes);
  // Two marks that name different payloads, and no ledger to say which it issued: at least one
  // is a wrong list path, and nothing here tells which.
  const split = decodes.map((d) => d.payloadHex).filter((h): h is string => !!h);
  const disagree = trust.payloadCheck === 'crc' && new Set(split).size > 1;
  if (disagree) {
    payloadHex = null;
    reasons.push(
      `the picture and the sound decoded different payloads (${split.join(', ')}): only the ledger can tell which, if either, it issued`,
    );
  }
  const soundByIssued = byIssued?.source === 'sound' || byIssued?.source === 'picture+sound';
  return {
    detected,
    decidedBy,
    payloadHex,
    ...(disagree ? { payloadCheck: null, payloadCrcRate: null } : trust),
    pValue: decidedBy === 'ledger' ? byIssued!.pValue : pv,
    score: Math.max(vd?.score ?? 0, ad?.score ?? 0),
    reason: detected && !disagree ? undefined : reasons.join('; ') || 'no mark found',
    video,
    audio: ad
      ? {
          secondsUsed: ad.secondsUsed,
          detected: ad.detected || soundByIssued,
          payloadHex: soundByIssued ? byIssued!.payloadHex : ad.payloadHex,
          pValue: soundByIssued ? byIssued!.pValue : ad.pValue,
          speed: ad.speed,
          pitchKept: ad.pitchKept,
        }
      : null,
    skipped,
    candidates,
  };
}
