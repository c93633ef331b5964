import { resample } from './audio-resample';
import { octaveWeighted } from './audio-weights';
import { HOP_SEC, MEASURE_SR, spectrogram, type Spectrogram } from './audio-cells';
import { keyed, OCTAVES, STEP_SHARE, STEPS, UNIT_OCTAVE, UNITS, type Keyed } from './audio-lattice';
import { refine, search, WINDOW_SEC, windowTrials, type Best } from './audio-search';
import { decodePayload, ISSUED_LIST_SIZE, reportedPayload, type DecodedPayload } from './ecc';
import { softBits } from './layout';
import { issuedCandidates, type IssuedCandidate } from './issued';
import type { MarkEvidence } from './issued-match';
import { RADEMACHER_TAIL_C, unionPValue } from './stats';

/**
 * The sound mark's detector: windows of the input searched for alignment (audio-search.ts), read
 * plainly and, where that cannot decide, with cells trusted by their height over the noise floor;
 * the payload decoded with a list Viterbi and the p-value charged for every alignment and reading.
 */

export interface AudioDetection {
  detected: boolean;
  payloadHex: string | null;
  crcOk: boolean;
  pValue: number;
  score: number;
  secondsUsed: number;
  speed: number;
  /** the speed change kept the pitch (a tempo change, as editors make) instead of moving it (resampling) */
  pitchKept: boolean;
  reason?: string;
  /** the decoder's best guess even when not detected, for bit-accuracy measurements */
  rawPayloadHex?: string;
  /** with a payload: how often a random wrong word passes the CRC this early (ecc.ts crcPassRate) */
  payloadCrcRate?: number;
  /** CRC-valid decodes, for a ledger-aided decision (issued.ts) */
  candidates?: IssuedCandidate[];
  /** each reading's soft values at its alignment, when it found sync, for the matched test (issued-match.ts) */
  evidence?: MarkEvidence[];
}

export const AUDIO_P_THRESHOLD = 1e-9;
/**
 * The sync score is a self-normalised sum of keyed random signs: its tail is bounded by
 * RADEMACHER_TAIL_C times the normal tail, not by the normal tail itself.
 */
const LOG10_SYNC_TAIL_C = Math.log10(RADEMACHER_TAIL_C);
/** long inputs are searched in up to MAX_WINDOWS windows of WINDOW_SEC (audio-search.ts) */
const MAX_WINDOWS = 2;
/**
 * List depths of the sound's payload decoder: the code alone decides within the first
 * AUDIO_LIST_SIZE paths, the ledger-aided test searches AUDIO_ISSUED_DEPTH. The sound mark reads
 * its 258 coded bits about once each in 3 s, so after a codec the right path is often not the
 * best one but is still near the top; the p-value charges the rank it was found at ((rank + 1) *
 * 2^-16 for the code, (rank + 1) * N * 2^-80 against the ledger). The picture's decoder keeps
 * the shallow lists: its failures are at chance, where depth does not help (measured).
 */
export const AUDIO_LIST_SIZE = 64;
export const AUDIO_ISSUED_DEPTH = 1024;

/**
 * Detects the audio mark in mono PCM at any sample rate. Searches the time scale (speed changes
 * of up to +-5.5%, that scale pitch with time as resampling does or keep it as a tempo change
 * does), the sub-chip offset and the period phase; the sync units' agreement is the score. Inputs longer than 4.5 s are searched in
 * up to three 3.5 s windows. Never throws for content reasons.
 */
export function detectAudio(
  pcm: Float32Array,
  sampleRate: number,
  key: Buffer,
  opts: {
    /** report each reading's evidence even without sync (to calibrate the matched test on unmarked sound) */
    allEvidence?: boolean;
  } = {},
): AudioDetection {
  const secondsUsed = pcm.length / sampleRate;
  const none = (reason: string): AudioDetection => ({
    detected: false,
    payloadHex: null,
    crcOk: false,
    pValue: 1,
    score: 0,
    secondsUsed,
    speed: 1,
    pitchKept: false,
    reason,
  });
  if (secondsUsed < 1) return none('audio shorter than 1 s');
  const sp = spectrogram(resample(pcm, sampleRate, MEASURE_SR), MEASURE_SR);
  let nLoud = 0;
  for (const l of sp.loud) nLoud += l;
  if (nLoud * HOP_SEC < 0.5) return none('audio is silent (nothing can carry a mark)');
  const kd = keyed(key);
  const winFrames = Math.round(WINDOW_SEC / HOP_SEC);
  const starts: number[] = [];
  if (sp.nFrames <= winFrames * 1.3) starts.push(0);
  else {
    // Candidate windows every ~3 s, loudest (most non-silent frames) first.
    const n = Math.ceil((sp.nFrames - winFrames) / (winFrames * 0.85)) + 1;
    const cand: { f0: number; loud: number }[] = [];
    for (let i = 0; i < n; i++) {
      const f0 = Math.round(((sp.nFrames - winFrames) * i) / (n - 1));
      let l = 0;
      for (let t = f0; t < f0 + winFrames; t++) l += sp.loud[t];
      cand.push({ f0, loud: l });
    }
    cand.sort((a, b) => b.loud - a.loud);
    for (const c of cand.slice(0, MAX_WINDOWS)) starts.push(c.f0);
  }
  const plain = reading(sp, kd, starts, winFrames, false);
  if (!plain) return none('too little loud audio');
  // The floor-aware reading only runs when the plain one found a mark it could not read, but it
  // could have run every time: both are charged for two tests.
  let r = plain;
  let candidates = issuedCandidates(
    plain.dec,
    plain.best.z,
    plain.trials,
    READINGS,
    'sound',
    LOG10_SYNC_TAIL_C,
  );
  let noisy: Reading | null = null;
  if (!(plain.detected && plain.dec.crcOk) && plain.best.z >= SECOND_READING_MIN_Z) {
    noisy = reading(sp, kd, starts, winFrames, true);
    if (noisy) {
      candidates = [
        ...candidates,
        ...issuedCandidates(noisy.dec, noisy.best.z, noisy.trials, READINGS, 'sound', LOG10_SYNC_TAIL_C),
      ];
      const better =
        noisy.detected && noisy.dec.crcOk ? true : !plain.detected && noisy.pValue < plain.pValue;
      if (better) r = noisy;
    }
  }
  const { best, dec, pValue, detected } = r;
  // Unmarked sound rarely finds sync (z >= 5): the ledger is asked to match only where it did.
  // Kept when the code decided too: a list path past the right one can pass the CRC, and the
  // verifier then matches the readings against what the ledger issued.
  const evidence = [plain, ...(noisy ? [noisy] : [])]
    .filter((x) => opts.allEvidence || x.best.z >= SECOND_READING_MIN_Z)
    .map((x) => markEvidence(x, kd));
  return {
    detected,
    ...reportedPayload(detected, dec),
    pValue,
    score: best.z,
    secondsUsed,
    speed: Math.round(best.speed * 10000) / 10000,
    pitchKept: best.pitchKept,
    reason: detected ? undefined : 'no mark above the operating threshold',
    candidates,
    evidence,
  };
}

/** A reading's soft values at its alignment, charged for every alignment and reading tried. */
function markEvidence(r: Reading, kd: Keyed): MarkEvidence {
  const soft = r.best.soft;
  let syncSum = 0,
    syncEnergy = 0,
    payloadEnergy = 0;
  for (let u = 0; u < UNITS; u++)
    if (kd.sync[u]) {
      syncSum += kd.sync[u] * soft[u];
      syncEnergy += soft[u] * soft[u];
    } else payloadEnergy += soft[u] * soft[u];
  return {
    source: 'sound',
    soft: Array.from(softBits(kd.layout, soft)),
    payloadEnergy,
    syncSum,
    syncEnergy,
    log10Charge: Math.log10(READINGS * r.trials),
  };
}

/**
 * How many readings of the sound can decide: the plain one, and one that also trusts each cell by
 * how far it stands above its band's floor. Noise added over the sound (white noise at 20 dB SNR
 * drowns the upper bands of speech between syllables) leaves cells that measure the noise, not the
 * mark; the floor-aware reading discounts them. On clean or coded sound the same discount throws
 * away quiet cells that carry the mark well, so it is a second reading, not a replacement
 * (measured: 3 s under white noise at 20 dB, 12 -> 22 of 65 clips read; after AAC 64k, 31 -> 18 if
 * it replaced the plain reading).
 */
const READINGS = 2;
/**
 * The second reading is tried only when the first found some sync: unmarked sound almost never
 * scores this much (max z 5.83 over 777 unmarked windows in the bench), so unmarked uploads are
 * read once; a mark drowned in noise still scores 6-9 on the plain reading (measured).
 */
const SECOND_READING_MIN_Z = 5;

interface Reading {
  best: Best;
  /** alignments charged: those tried at the reading's step, over that step's share of the budget */
  trials: number;
  dec: DecodedPayload;
  pValue: number;
  detected: boolean;
}

function reading(
  sp: Spectrogram,
  kd: Keyed,
  starts: number[],
  winFrames: number,
  floorAware: boolean,
): Reading | null {
  const bests: (Best | null)[] = STEPS.map(() => null);
  let trials = 0;
  // the step whose best alignment is the least likely by chance, for its share of the budget
  const pick = (tried = trials): { best: Best; charged: number } | null => {
    let out: { best: Best; charged: number; p: number } | null = null;
    for (let si = 0; si < STEPS.length; si++) {
      const b = bests[si];
      if (!b) continue;
      const charged = tried / STEP_SHARE[si];
      const p = unionPValue(b.z, charged, LOG10_SYNC_TAIL_C);
      if (!out || p < out.p) out = { best: b, charged, p };
    }
    return out;
  };
  const decided = (tried: number): boolean => {
    const sofar = pick(tried);
    return (
      !!sofar && READINGS * unionPValue(sofar.best.z, sofar.charged, LOG10_SYNC_TAIL_C) <= AUDIO_P_THRESHOLD
    );
  };
  for (const f0 of starts) {
    const f1 = starts.length === 1 ? sp.nFrames : f0 + winFrames;
    // Every window searched counts in the union bound, whichever one wins, with both kinds of
    // speed change: the tempo kind is skipped only when the resampling kind decided already, at
    // the price of both.
    trials += windowTrials(f0, f1);
    let done = false;
    for (const pitchKept of [false, true]) {
      search(sp, kd, f0, f1, floorAware, pitchKept).forEach((b, si) => {
        const cur = bests[si];
        if (b && (!cur || b.z > cur.z)) bests[si] = b;
      });
      if ((done = decided(trials))) break;
    }
    if (done) break;
  }
  const picked = pick();
  if (!picked) return null;
  let best = picked.best;
  // Long input: the winning alignment, refined over all of it, sums every repeat of the mark.
  if (starts.length > 1) {
    const r = refine(sp, kd, best, floorAware);
    trials += r.trials;
    if (r.best.z > best.z) best = r.best;
  }
  const charged = trials / STEP_SHARE[STEPS.indexOf(best.step)];
  best = { ...best, soft: octaveWeighted(best.soft, best.quad, kd.sync, UNIT_OCTAVE, OCTAVES) };
  const dec = decodePayload(
    softBits(kd.layout, best.soft),
    AUDIO_LIST_SIZE,
    Math.max(AUDIO_ISSUED_DEPTH, ISSUED_LIST_SIZE),
  );
  const pValue = Math.min(1, READINGS * unionPValue(best.z, charged, dec.crcLog10 + LOG10_SYNC_TAIL_C));
  return { best, trials: charged, dec, pValue, detected: pValue <= AUDIO_P_THRESHOLD };
}
