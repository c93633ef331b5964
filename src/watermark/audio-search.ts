import { bandPrefix, cells, HOP_SEC, type BandPrefix, type Cells, type Spectrogram } from './audio-cells';
import { BANDS, CHIP_SEC, GROUPS, PAIR_A, PAIR_B, PERIOD, STEPS, UNITS, type Keyed } from './audio-lattice';

/**
 * The sound detector's alignment search: time scale (speed changes of both kinds), sub-chip
 * offset and period phase, scored by the sync units' agreement with their known signs.
 */

const MAX_SPEED_DEV = 0.055;
/** sub-chip offsets tried (CHIP_SEC / PHASES = 4 ms: at most 2 ms off; y moves ~0.08 per ms) */
const PHASES = 16;
/** time-scale step x window length: the drift it leaves at the window's ends stays ~2 ms */
const DRIFT_SEC = 0.004;
/** long inputs are searched in windows of WINDOW_SEC; refine re-aligns on the whole input */
export const WINDOW_SEC = 3.5;
/** a unit whose weaker band has q = E / (chip mean) gets weight q / (q + Q0) */
const Q0 = 0.05;
/**
 * A unit whose weaker band stands s = E / floor - 1 over its floor gets weight s / (s + S0). With
 * the quietest chip as the floor, on the 204 windows that chose it (audio-cells.ts; ledger 1e9 /
 * 250,000 / code alone): white noise 20 dB, S0 0.5: 145 / 156 / 50; 1: 147 / 160 / 61; 2: 148 /
 * 159 / 68; 3: 148 / 159 / 70; 4: 148 / 159 / 72; 8 (one key): 35 of 51 against 39. AAC 64k, 1:
 * 192 / 204 / 128; 3: 191 / 204 / 125.
 */
const S0 = 3;

/**
 * Speed changes to try: time scales in steps fine enough that drift over the window stays a few
 * ms, each of both kinds. Resampling (asetrate, a tape sped up) scales frequency with time; a
 * tempo change (atempo, the speed control of video editors and players) keeps the pitch, so the
 * bands stay where they were marked. Reading a tempo change as a resampling misplaced every band
 * by the speed change (5 % is 0.4 of a band): of 3 s windows after atempo 1.05 / 0.95, none was
 * read (four speech fixtures, 59 windows; the model's soundtrack, 64).
 */
/** Below this speed change the two kinds read bands less than a tenth of a band apart: one is tried. */
const PITCH_KEPT_MIN_DEV = 0.01;
function speedChanges(seconds: number, pitchKept: boolean): number[] {
  const step = Math.min(0.005, DRIFT_SEC / Math.max(seconds, 1));
  const n = Math.ceil(MAX_SPEED_DEV / step);
  const out: number[] = [];
  for (let i = -n; i <= n; i++)
    if (!pitchKept || Math.abs(i * step) >= PITCH_KEPT_MIN_DEV) out.push(1 + i * step);
  return out;
}

/** Alignments search tries over frames [f0, f1), both kinds of speed change. */
export function windowTrials(f0: number, f1: number): number {
  const seconds = Math.max(1, (f1 - f0) * HOP_SEC);
  return (speedChanges(seconds, false).length + speedChanges(seconds, true).length) * PHASES * PERIOD;
}

export interface Best {
  z: number;
  speed: number;
  /** the speed change kept the pitch: bands are read at their marked frequencies */
  pitchKept: boolean;
  offset: number;
  shift: number;
  /** centre (s) of the window it was found in */
  tc: number;
  /** the lattice step (DELTA or WIDE_DELTA) */
  step: number;
  soft: Float64Array;
  quad: Float64Array;
}

/** Weighted lattice phase per (chip, pair) of some cells: cos / sin of 2 pi y / step. */
function unitPhases(cl: Cells, step: number): { cy: Float64Array; sy: Float64Array } {
  const { logE, rel, nChips } = cl;
  const cy = new Float64Array(nChips * GROUPS),
    sy = new Float64Array(nChips * GROUPS);
  for (let c = 0; c < nChips; c++)
    for (let g = 0; g < GROUPS; g++) {
      const a = c * BANDS + PAIR_A[g],
        b = c * BANDS + PAIR_B[g];
      const y = logE[a] - logE[b];
      if (y !== y) continue;
      // Weak bands are where codecs and noise move ln E most: trust them less.
      const q = rel[a] < rel[b] ? rel[a] : rel[b];
      let w = q / (q + Q0);
      if (cl.overFloor) {
        const f = cl.overFloor[a] < cl.overFloor[b] ? cl.overFloor[a] : cl.overFloor[b];
        w *= f / (f + S0);
      }
      const ang = (2 * Math.PI * y) / step;
      cy[c * GROUPS + g] = w * Math.cos(ang);
      sy[c * GROUPS + g] = w * Math.sin(ang);
    }
  return { cy, sy };
}

/**
 * Soft value per unit (summed over its repeats) for one alignment: >0 leans to a +1 chip. It is
 * the cosine of the unit's lattice phase; quad, its sine, says which way a biased y turned it.
 */
function unitSoft(
  cl: Cells,
  ph: { cy: Float64Array; sy: Float64Array },
  kd: Keyed,
  shift: number,
): { soft: Float64Array; quad: Float64Array } {
  const soft = new Float64Array(UNITS),
    quad = new Float64Array(UNITS);
  for (let c = 0; c < cl.nChips; c++) {
    const p = (((c + cl.firstChip + shift) % PERIOD) + PERIOD) % PERIOD;
    for (let g = 0; g < GROUPS; g++) {
      const u = p * GROUPS + g,
        i = c * GROUPS + g;
      soft[u] += ph.cy[i] * kd.dc[u] + ph.sy[i] * kd.ds[u];
      quad[u] += ph.sy[i] * kd.dc[u] - ph.cy[i] * kd.ds[u];
    }
  }
  return { soft, quad };
}

/** The sync score of per-unit soft values (see search). */
function syncZ(soft: Float64Array, kd: Keyed): number {
  let num = 0,
    den = 0;
  for (let u = 0; u < UNITS; u++)
    if (kd.sync[u]) {
      num += kd.sync[u] * soft[u];
      den += soft[u] * soft[u];
    }
  return den > 0 ? num / Math.sqrt(den) : 0;
}

/**
 * Re-aligns on the whole input around a window's best alignment, with scale steps fine enough
 * for its full length, so that every repeat of the period adds to the soft values.
 */
export function refine(
  sp: Spectrogram,
  kd: Keyed,
  b: Best,
  floorAware: boolean,
): { best: Best; trials: number } {
  const seconds = sp.nFrames * HOP_SEC;
  const coarse = Math.min(0.005, DRIFT_SEC / WINDOW_SEC),
    fine = DRIFT_SEC / seconds;
  const nS = Math.ceil(coarse / fine / 2);
  let best: Best | null = null,
    trials = 0,
    flat: BandPrefix | null = null;
  for (let i = -nS; i <= nS; i++) {
    const s = b.speed + i * fine;
    const bp = b.pitchKept ? (flat ??= bandPrefix(sp, 1)) : bandPrefix(sp, s);
    for (let j = -2; j <= 2; j++) {
      // keep the alignment at the window's centre while the scale changes
      const offset = b.offset - (s - b.speed) * b.tc + (j * CHIP_SEC) / PHASES / 2;
      const cl = cells(bp, s, offset, floorAware);
      const { soft, quad } = unitSoft(cl, unitPhases(cl, b.step), kd, b.shift);
      const z = syncZ(soft, kd);
      trials++;
      if (!best || z > best.z) best = { ...b, z, speed: s, offset, soft, quad };
    }
  }
  return { best: best ?? b, trials };
}

/**
 * Searches scale (of one kind), offset and period phase over frames [f0, f1); returns the best
 * alignment at each step. windowTrials counts what it tries.
 */
export function search(
  sp: Spectrogram,
  kd: Keyed,
  f0: number,
  f1: number,
  floorAware: boolean,
  pitchKept: boolean,
): (Best | null)[] {
  const best: (Best | null)[] = STEPS.map(() => null);
  const seconds = Math.max(1, (f1 - f0) * HOP_SEC);
  const tc = ((f0 + f1) / 2) * HOP_SEC;
  const { syncStart, syncG, syncDc, syncDs } = kd;
  const STRIDE = PERIOD * GROUPS;
  const foldC = new Float64Array(STRIDE),
    foldS = new Float64Array(STRIDE);
  // a tempo change leaves the bands where they were marked: one set of band energies serves every scale
  const flat = pitchKept ? bandPrefix(sp, 1, f0, f1) : null;
  for (const s of speedChanges(seconds, pitchKept)) {
    const bp = flat ?? bandPrefix(sp, s, f0, f1);
    for (let ph = 0; ph < PHASES; ph++) {
      const offset = (ph * CHIP_SEC) / PHASES;
      const cl = cells(bp, s, offset, floorAware);
      const { nChips, firstChip } = cl;
      const nCells = nChips * GROUPS;
      for (let si = 0; si < STEPS.length; si++) {
        const step = STEPS[si];
        const { cy, sy } = unitPhases(cl, step);
        // Repeats of a unit lie PERIOD chips apart whatever the shift: they are folded once, so
        // each shift reads one value per unit. The shifts are most of the sound detector's time.
        const reach = nChips < PERIOD ? nChips : PERIOD;
        foldC.fill(0, 0, reach * GROUPS);
        foldS.fill(0, 0, reach * GROUPS);
        for (let i = 0, r = 0; i < nCells; i++) {
          foldC[r] += cy[i];
          foldS[r] += sy[i];
          if (++r === STRIDE) r = 0;
        }
        for (let shift = 0; shift < PERIOD; shift++) {
          // Only sync units matter for the score: v_u = sum over the unit's repeats of
          // cos(2 pi (y / step - dither)), +1 on the +1 lattice, -1 on the other.
          let num = 0,
            den = 0;
          const p0 = (((firstChip + shift) % PERIOD) + PERIOD) % PERIOD;
          for (let c0 = 0; c0 < reach; c0++) {
            let p = p0 + c0;
            if (p >= PERIOD) p -= PERIOD;
            const i0 = c0 * GROUPS;
            for (let j = syncStart[p], j1 = syncStart[p + 1]; j < j1; j++) {
              const i = i0 + syncG[j];
              // the unit's value times its sync sign: its square is the value's
              const v = foldC[i] * syncDc[j] + foldS[i] * syncDs[j];
              num += v;
              den += v * v;
            }
          }
          // Self-normalised: given the host, the keyed sync signs make num a sum of independent
          // +-v terms, so num / sqrt(sum v^2) is ~N(0,1) for unmarked audio whatever the host is.
          const z = den > 0 ? num / Math.sqrt(den) : 0;
          const b = best[si];
          if (!b || z > b.z)
            best[si] = {
              z,
              speed: s,
              pitchKept,
              offset,
              shift,
              tc,
              step,
              ...unitSoft(cl, { cy, sy }, kd, shift),
            };
        }
      }
    }
  }
  return best;
}
