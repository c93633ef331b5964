import {
  bitsToHex,
  CRC_BITS,
  decodePayload,
  mergeDecodes,
  reportedPayload,
  type DecodedPayload,
} from './ecc';
import { softBits, type ChipLayout } from './layout';
import { issuedCandidates, type IssuedCandidate } from './issued';
import { matchDecoded, type MarkEvidence } from './issued-match';
import { autocorr, latticeCandidates, latticeCellCount } from './luma-acf';
import {
  chipSoftFromFold,
  foldResidual,
  mirrorFold,
  READ_RINGS,
  syncFold,
  syncSpectrum,
  type FoldResult,
  type SyncSpectrum,
} from './luma-fold';
import { radiusAt, residual, residuals, type Residuals } from './luma-residual';
import { BIN, CHIP, LARGE_SIDE, layoutFor, MIN_SIDE, NB, SMALL_CHIP, TILE } from './luma-tile';
import { RADEMACHER_TAIL_C, unionPValue } from './stats';
import type { WatermarkTransform } from './types';

/**
 * The picture mark's detector: the origin test, fixed scales, then the lattice-guided search;
 * readings at the winning alignment decoded, charged for every hypothesis that could decide.
 */

/** see undoneScale for how scale is reported */
export type LumaTransform = WatermarkTransform;

export interface LumaDetection {
  detected: boolean;
  payloadHex: string | null;
  crcOk: boolean;
  pValue: number;
  /** normalised sync correlation (a z-score under no mark) */
  score: number;
  transform: LumaTransform | null;
  reason?: string;
  /** the decoder's best guess even when not detected, for bit-accuracy measurements */
  rawPayloadHex?: string;
  /** with a payload: how often a random wrong word passes the CRC this early (ecc.ts crcPassRate) */
  payloadCrcRate?: number;
  /** how many hypotheses the stage that produced this result chose among (its p-value's multiplier) */
  trials?: number;
  /** CRC-valid decodes, for a ledger-aided decision (issued.ts) */
  candidates?: IssuedCandidate[];
  /** the soft values at each alignment that could decide, for the matched test (issued-match.ts) */
  evidence?: MarkEvidence[];
}

export const P_THRESHOLD = 1e-9;
/** The sync score is a self-normalised sum of keyed signs (luma-fold.ts syncFold): its tail's factor. */
const LOG10_SYNC_TAIL_C = Math.log10(RADEMACHER_TAIL_C);
const SWEEP_BELOW_Z = 9;

export interface LumaDetectOptions {
  /** extra geometries always tried besides the lattice estimates */
  fixedScales?: number[];
  /**
   * Also test the untouched alignment (scale 1, no rotation or flip, tile origin at the top-left
   * pixel) as its own hypothesis. A still image read back as written (or recompressed without
   * resizing or cropping) sits exactly there, and a single frame has no frame averaging to lift
   * the sync above the search's union bound; testing the one alignment costs one trial instead of
   * millions. The two tests share the false-detection budget (Bonferroni, factor 2).
   */
  originPrior?: boolean;
  /**
   * How many times the caller tests growing parts of the same clip (a quick look, then the whole):
   * the looks share the false-detection budget (Bonferroni).
   */
  looks?: number;
  /**
   * Stop after the origin test and the fixed geometries (no autocorrelation, no angle sweep): for
   * an early look at part of a clip that a full look at the whole will back up.
   */
  cheapOnly?: boolean;
}

/**
 * The payload decoded from each reading of the chips (the sync's choice first), the lists merged:
 * the sync picks a reading on its 256 chips, while a payload on the edge of decoding can still be
 * read through the other (astronaut as JPEG q30, 54 of 64 bits through the sync's choice and 64
 * through the other). Merging charges every CRC pass for the paths ranked above it in both lists.
 */
function decodeAt(layout: ChipLayout, fr: FoldResult): DecodedPayload {
  return mergeDecodes(fr.readings.map((_, k) => decodePayload(softBits(layout, chipSoftFromFold(fr, k)))));
}

/**
 * The chips at one alignment, for the matched test, charged for every point that can decide.
 * After the search (about 1e9 alignments) only the payload chips count: the alignment was chosen
 * on the sync, so given it the payload chips' keyed signs are still fair coins for unmarked input
 * and the test owes nothing to the search. At the origin (`among` = the few fixed scales) the sync
 * chips count too, and the union covers those alignments.
 */
function lumaEvidence(
  layout: ChipLayout,
  fr: FoldResult,
  stages: number,
  among?: number,
  reading = 0,
): MarkEvidence {
  const chips = chipSoftFromFold(fr, reading);
  let payloadEnergy = 0,
    syncSum = 0,
    syncEnergy = 0;
  for (const j of layout.payIdx) payloadEnergy += chips[j] * chips[j];
  if (among !== undefined)
    for (let i = 0; i < layout.syncIdx.length; i++) {
      const v = chips[layout.syncIdx[i]];
      syncSum += layout.syncSign[i] * v;
      syncEnergy += v * v;
    }
  return {
    source: 'picture',
    soft: Array.from(softBits(layout, chips)),
    payloadEnergy,
    syncSum,
    syncEnergy,
    log10Charge: Math.log10(stages * (among ?? 1)),
  };
}

/**
 * How deep the decoded-word test searches when the 64-path lists hold no CRC-valid path, and from
 * what sync z: a 1024-path decode costs about 57 ms of CPU a reading, and no stage of 300 unmarked
 * synthetic frames reached z 5.5 without a pass, so unmarked input rarely pays it. Talking-a cropped
 * and re-encoded at CRF 30 (bench key, 0123456789abcdef) had its true word 783rd.
 */
const DEEP_LIST = 1024;
const DEEP_FROM_Z = 5.5;

/**
 * The decoded-word test at one alignment (issued-match.ts matchDecoded): the CRC-valid paths of its
 * decoding, each read over every chip (sync and payload) through both readings, charged for every
 * alignment and reading the stage could have chosen (`trials`) and for the stages.
 */
function decodedWord(
  layout: ChipLayout,
  fr: FoldResult,
  dec: DecodedPayload,
  trials: number,
  stages: number,
): { payloadHex: string; pValue: number; crcRate: number } | null {
  let passes = dec.crcPasses;
  // A reading whose sync stands out but whose 64-path lists hold no CRC-valid path: the lists
  // searched deeper (any depth is covered by the 2^64 the test charges).
  if (!passes.length && fr.z >= DEEP_FROM_Z)
    passes = mergeDecodes(
      fr.readings.map((_, k) => decodePayload(softBits(layout, chipSoftFromFold(fr, k)), 1, DEEP_LIST)),
    ).crcPasses;
  const words = [...new Set(passes.map((c) => c.payloadHex))];
  const evidence = fr.readings.map((_, k) => lumaEvidence(layout, fr, stages, trials, k));
  const m = matchDecoded(evidence, words);
  if (!m) return null;
  const rank = passes.find((c) => c.payloadHex === m.payloadHex)!.rank;
  return { payloadHex: m.payloadHex, pValue: m.pValue, crcRate: (rank + 1) / 2 ** CRC_BITS };
}

/** The payload fields of a result: the list test's, or the decoded word's when that decided. */
function payloadFields(
  listDetected: boolean,
  dec: DecodedPayload,
  word: { payloadHex: string; crcRate: number } | null,
): ReturnType<typeof reportedPayload> {
  const r = reportedPayload(listDetected, dec);
  return word ? { ...r, payloadHex: word.payloadHex, payloadCrcRate: word.crcRate, crcOk: true } : r;
}

/**
 * Detects the mark in a (mean) luma image. Never throws for content reasons.
 * p-value: union bound of the sync z-score over every geometry/offset the search could have
 * chosen, times 2^-16 when the decoded payload's CRC also holds (independent chips).
 */
export function detectLuma(
  l: Float32Array | Uint8Array,
  w: number,
  h: number,
  key: Buffer,
  opts: LumaDetectOptions = {},
): LumaDetection {
  const none = (reason: string): LumaDetection => ({
    detected: false,
    payloadHex: null,
    crcOk: false,
    pValue: 1,
    score: 0,
    transform: null,
    reason,
  });
  if (w < MIN_SIDE || h < MIN_SIDE) return none(`frame ${w}x${h} is smaller than the ${MIN_SIDE}px minimum`);
  const lf = l instanceof Float32Array ? l : Float32Array.from(l);
  let mn = Infinity,
    mx = -Infinity;
  for (let i = 0; i < lf.length; i += 7) {
    if (lf[i] < mn) mn = lf[i];
    if (lf[i] > mx) mx = lf[i];
  }
  if (mx - mn < 1) return none('frame is flat (no luma variation to carry a mark)');
  const layout = layoutFor(key);
  const spec = syncSpectrum(key, layout);
  const res = residuals(lf, w, h);
  // Every point that can report a detection spends part of the false-detection budget
  // (Bonferroni): the origin test, the quick geometries, and the full search.
  const stages = ((opts.originPrior ? 1 : 0) + 2) * (opts.looks ?? 1);
  const fixed = opts.fixedScales ?? FIXED_SCALES;
  // The fixed geometries are folded once: the origin test and the quick path both read them.
  const fixedFolds = fixed.map((scale) => ({ scale, f: foldResidual(res.at(scale), w, h, scale, 0) }));
  let origin: LumaDetection | null = null;
  if (opts.originPrior) {
    let o: (FoldResult & { scale: number }) | null = null;
    for (const { scale, f } of fixedFolds) {
      const fr = syncFold(f, spec, { ox: 0, oy: 0 });
      if (!o || fr.z > o.z) o = { ...fr, scale };
    }
    const od = decodeAt(layout, o!);
    const trials = fixed.length * READ_RINGS.length;
    const listP = Math.min(1, stages * unionPValue(o!.z, trials, od.crcLog10 + LOG10_SYNC_TAIL_C));
    const word = listP <= P_THRESHOLD ? null : decodedWord(layout, o!, od, trials, stages);
    const pValue = word?.pValue ?? listP;
    origin = {
      detected: pValue <= P_THRESHOLD,
      ...payloadFields(listP <= P_THRESHOLD, od, word),
      pValue,
      score: o!.z,
      transform: {
        scale: undoneScale(o!.scale, Math.min(w, h)),
        tileScale: o!.scale,
        rotationDeg: 0,
        flipped: false,
        offsetX: 0,
        offsetY: 0,
      },
      trials: stages * trials,
      candidates: issuedCandidates(od, o!.z, trials, stages, 'picture', LOG10_SYNC_TAIL_C),
      evidence: [lumaEvidence(layout, o!, stages, trials)],
    };
    // Already decided: the search below could only add a second, larger p-value.
    if (origin.detected) return origin;
  }
  // Every (lattice cell, polish step, flip, offset) the full search below could return: a decision
  // after the quick path carries this whole count.
  const sweep = sweepGeometries();
  const trials = searchTrials(w, h, fixed.length);

  let best: Best | null = null;
  const consider = (scale: number, theta: number, folded?: Float64Array): void => {
    const f = folded ?? foldResidual(res.at(scale), w, h, scale, theta);
    for (const flip of [false, true]) {
      const fr = syncFold(flip ? mirrorFold(f) : f, spec);
      if (!best || fr.z > best.z) best = { ...fr, scale, theta, flip };
    }
  };
  // Quick path: what platforms do most (re-encode, crop, halve) keeps the tile unrotated at scale 1
  // or 0.5. When one of those already decides, the autocorrelation (the costliest step) is skipped.
  for (const { scale, f } of fixedFolds) consider(scale, 0, f);
  // Polishing a hopeless quick winner would only cost time: deciding needs z of about 6.8 or more.
  // The quick path is a stage of its own (one of `stages`), so it is charged only the hypotheses
  // it can return: each fixed scale, the geometries its polish can reach, both flips, every offset, both readings.
  // Charging it the whole search's count, as it was, cost an offset crop three decades it did not
  // owe (talking-a cropped to half its area at an offset read its 64 bits at p 1e-7 to 1e-5).
  let quick: LumaDetection | null = null;
  if (best && (best as Best).z >= 6) {
    quick = finish(
      layout,
      Math.min(w, h),
      polish(res, w, h, spec, best),
      quickTrials(fixed.length),
      stages,
      [],
    );
    if (quick.detected && quick.crcOk) return quick;
  }
  const decide = (b: Best): LumaDetection =>
    finish(layout, Math.min(w, h), b, trials, stages, [origin, quick]);
  // the unpolished winner is one of the quick path's hypotheses: charged as the quick path is
  if (opts.cheapOnly)
    return best
      ? finish(layout, Math.min(w, h), best, quickTrials(fixed.length), stages, [origin, quick])
      : none('no geometry candidate');
  const acf = autocorr(res.fine, w, h);
  for (const c of latticeCandidates(acf)) consider(Math.hypot(c.vx, c.vy) / TILE, Math.atan2(c.vy, c.vx));
  // The autocorrelation can miss a weak lattice (rotated + recompressed): sweep angles at the
  // untouched scales before giving up. The sweep ranks angles on the 2x2-averaged residual (a
  // quarter of the pixels; the tile keeps 3-4 px chips there) and folds only the best two at
  // full resolution.
  if (best && (best as Best).z < SWEEP_BELOW_Z) {
    const coarse = w >= 2 * MIN_SIDE && h >= 2 * MIN_SIDE ? halve(res.fine, w, h) : null;
    const ranked = coarse
      ? sweep
          .map((g) => {
            const f = foldResidual(coarse.r, coarse.w, coarse.h, g.scale / 2, g.theta);
            return {
              g,
              z: Math.max(syncFold(f, spec).z, syncFold(mirrorFold(f), spec).z),
            };
          })
          .sort((a, b) => b.z - a.z)
          .slice(0, 2)
          .map((x) => x.g)
      : sweep;
    for (const g of ranked) consider(g.scale, g.theta);
  }
  if (!best) return none('no geometry candidate');
  return decide(polish(res, w, h, spec, best));
}

type Best = FoldResult & { scale: number; theta: number; flip: boolean };

/** The residual averaged 2x2 (for coarse searches). */
function halve(r: Float32Array, w: number, h: number): { r: Float32Array; w: number; h: number } {
  const hw = w >> 1,
    hh = h >> 1;
  const out = new Float32Array(hw * hh);
  for (let y = 0; y < hh; y++)
    for (let x = 0; x < hw; x++) {
      const i = 2 * y * w + 2 * x;
      out[y * hw + x] = (r[i] + r[i + 1] + r[i + w] + r[i + w + 1]) * 0.5;
    }
  return { r: out, w: hw, h: hh };
}

/**
 * The picture's scale from the reference tile's: 8 px chips give it as found, 6 px chips at 4/3 of
 * it, and nothing in the frame says which was used. The reading nearer to untouched or halved
 * (what platforms do) wins.
 */
function undoneScale(tileScale: number, minSide: number): number {
  const small = (tileScale * CHIP) / SMALL_CHIP;
  // Each reading implies the marked original's short side, which bounds its chip size (a clip's
  // frames take 8 px chips from a short side of TILE, a still's from LARGE_SIDE). The bounds allow
  // for the tile scale's error: a 452x254 crop of a 640x360 clip was read at a tile scale of 1.003.
  const smallFits = minSide / small < LARGE_SIDE * 1.03;
  const largeFits = minSide / tileScale >= TILE * 0.97;
  if (smallFits !== largeFits) return smallFits ? small : tileScale;
  const off = (s: number) => Math.min(Math.abs(Math.log(s)), Math.abs(Math.log(s / 0.5)));
  return off(small) < off(tileScale) ? small : tileScale;
}

/**
 * Reference-tile scales always tried: untouched and halved, for 8 px chips (1, 0.5) and for 6 px
 * chips (0.75, 0.375). The angle sweep covers the untouched ones.
 */
const FIXED_SCALES = [1, 0.75, 0.5, 0.375];
const SWEEP_SCALES = [1, 0.75];

function sweepGeometries(): { scale: number; theta: number }[] {
  const sweep: { scale: number; theta: number }[] = [];
  for (const sc of SWEEP_SCALES)
    for (let deg = -5; deg <= 5.01; deg += 0.5)
      if (deg !== 0) sweep.push({ scale: sc, theta: (deg * Math.PI) / 180 });
  return sweep;
}

/**
 * The (scale, angle) pairs the polish can return from one start: two rounds of four moves, the
 * second from whichever the first kept, 20 distinct pairs. A union bound counts every geometry the
 * search could return, not the nine the polish evaluates on a given input.
 */
const POLISH_REACH = 20;

/** Every (lattice cell or fixed or swept geometry, polish step, flip, offset, reading) the search can return. */
function searchTrials(w: number, h: number, fixedCount = FIXED_SCALES.length): number {
  const nCand = 6; // up to three lattice peaks, each with its half period
  return (
    (latticeCellCount(w, h) + nCand + fixedCount + sweepGeometries().length) *
    POLISH_REACH *
    2 *
    NB *
    NB *
    READ_RINGS.length
  );
}

/** Every (fixed scale, polish step, flip, offset, reading) the quick path can return. */
function quickTrials(fixedCount: number): number {
  return fixedCount * POLISH_REACH * 2 * NB * NB * READ_RINGS.length;
}

/** Local polish of scale and angle around the winner: the lattice estimate is good to ~0.1%. */
function polish(res: Residuals, w: number, h: number, spec: SyncSpectrum, start: Best): Best {
  const REFINE = [
    [1.0015, 0],
    [0.9985, 0],
    [1, 0.0015],
    [1, -0.0015],
  ];
  let best = start;
  for (let round = 0; round < 2; round++) {
    const b = best;
    for (const [ds, dt] of REFINE) {
      const scale = b.scale * ds,
        theta = b.theta + dt / (round + 1);
      const f = foldResidual(res.at(scale), w, h, scale, theta);
      const fr = syncFold(b.flip ? mirrorFold(f) : f, spec);
      if (fr.z > best.z) best = { ...fr, scale, theta, flip: b.flip };
    }
  }
  return best;
}

function finish(
  layout: ChipLayout,
  minSide: number,
  best: Best,
  trials: number,
  stages: number,
  earlier: (LumaDetection | null)[],
): LumaDetection {
  const dec = decodeAt(layout, best);
  const listP = Math.min(1, stages * unionPValue(best.z, trials, dec.crcLog10 + LOG10_SYNC_TAIL_C));
  const word = listP <= P_THRESHOLD ? null : decodedWord(layout, best, dec, trials, stages);
  const pValue = word?.pValue ?? listP;
  const before = earlier.filter((e): e is LumaDetection => e !== null);
  // Candidates and evidence of every stage that ran, whichever is reported: the choice between them
  // looked at the payload's CRC. Each stage's own are charged for its hypotheses and for `stages`.
  const candidates = [
    ...before.flatMap((e) => e.candidates ?? []),
    ...issuedCandidates(dec, best.z, trials, stages, 'picture', LOG10_SYNC_TAIL_C),
  ];
  const evidence = [...before.flatMap((e) => e.evidence ?? []), lumaEvidence(layout, best, stages)];
  const lower = before.reduce<LumaDetection | null>(
    (m, e) => (e.pValue < (m?.pValue ?? pValue) ? e : m),
    null,
  );
  // (the quick path can have decided without its CRC holding, and the full search found no better)
  if (lower)
    return {
      ...lower,
      candidates,
      evidence,
      reason: lower.detected ? undefined : 'no mark above the operating threshold',
    };
  const detected = pValue <= P_THRESHOLD;
  const transform: LumaTransform = {
    scale: undoneScale(best.scale, minSide),
    tileScale: best.scale,
    rotationDeg: (best.theta * 180) / Math.PI,
    flipped: best.flip,
    offsetX: best.ox * BIN,
    offsetY: best.oy * BIN,
  };
  return {
    detected,
    ...payloadFields(listP <= P_THRESHOLD, dec, word),
    pValue,
    score: best.z,
    transform,
    reason: detected ? undefined : 'no mark above the operating threshold',
    trials: stages * trials,
    candidates,
    evidence,
  };
}

/**
 * Tests one known geometry and offset (found on a whole clip) in part of it, e.g. a segment of the
 * timeline. The p-value keeps the trial count of the stage that found the geometry (the whole
 * search unless told), because that geometry was chosen among them on data that includes this part.
 */
export function confirmLuma(
  l: Float32Array,
  w: number,
  h: number,
  key: Buffer,
  t: LumaTransform,
  foundAmong?: number,
): {
  detected: boolean;
  pValue: number;
  payloadHex: string | null;
  score: number;
  candidates: IssuedCandidate[];
  evidence: MarkEvidence[];
} {
  if (w < MIN_SIDE || h < MIN_SIDE)
    return { detected: false, pValue: 1, payloadHex: null, score: 0, candidates: [], evidence: [] };
  const layout = layoutFor(key);
  const spec = syncSpectrum(key, layout);
  const scale = t.tileScale ?? t.scale;
  const f = foldResidual(residual(l, w, h, radiusAt(scale)), w, h, scale, (t.rotationDeg * Math.PI) / 180);
  const fr = syncFold(t.flipped ? mirrorFold(f) : f, spec, {
    ox: Math.round(t.offsetX / BIN) & (NB - 1),
    oy: Math.round(t.offsetY / BIN) & (NB - 1),
  });
  const trials = foundAmong ?? searchTrials(w, h);
  const dec = decodeAt(layout, fr);
  const { payload, crcOk, crcLog10 } = dec;
  const pValue = Math.min(1, unionPValue(fr.z, trials, crcLog10 + LOG10_SYNC_TAIL_C));
  const detected = pValue <= P_THRESHOLD;
  return {
    detected,
    pValue,
    payloadHex: detected && crcOk ? bitsToHex(payload) : null,
    score: fr.z,
    candidates: issuedCandidates(dec, fr.z, trials, 1, 'picture', LOG10_SYNC_TAIL_C),
    // Payload chips alone, and with the sync chips charged for the alignments the geometry was
    // chosen among; both charged for the two stages the whole clip's report chose between, and for
    // being two readings.
    evidence: [lumaEvidence(layout, fr, 4), lumaEvidence(layout, fr, 4, trials)],
  };
}
