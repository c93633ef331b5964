/**
 * Weights the sound mark's payload units by how well their octave carried the mark in one
 * reading, as its sync units show, and turns them back by the phase their octave was turned by.
 *
 * Why: attacks do not hurt the four octaves alike. A codec at 64 kbit/s quantises the upper
 * octaves coarsely, white noise drowns them, a low octave of tonal music takes its gains
 * imprecisely. The sync units of an octave (about 60 a period) have known signs, so their soft
 * values estimate that octave's mean agreement m and spread v; soft values scaled by m / v
 * combine the octaves as a maximal-ratio combiner does. Each octave's estimate is shrunk
 * towards the reading's pooled one by SHRINK units' worth, since 60 units give a noisy variance.
 *
 * A unit's value is the cosine of its lattice phase, 2 pi (y / step - dither); its quadrature is
 * the sine. Whatever adds energy to a band (noise, a codec's quantisation noise and holes) moves
 * y = ln Ea - ln Eb off its lattice point by a bias, not only around it, and the bias leans the
 * same way across an octave: white noise over the soundtrack's pink-ish ambience fills the upper
 * band of each pair more, and turned the phases of its three upper octaves by 8 to 52 degrees (27
 * at the median), all the same way, at the best alignment (one prompt, eight 3 s windows). So the octave's mean is taken as a
 * complex number, from the sync units' values and quadratures, and the payload units are read
 * along it, as a receiver reads a channel with an estimated phase.
 *
 * The sync units are left as they are: their weights would depend on their own signs. The payload
 * units' weights depend on the sync units alone, whose signs are keyed apart from the payload's
 * whitening signs, so on an unmarked input a payload unit's sign stays a keyed coin independent of
 * its weight, and the matched test's Rademacher bound holds as before. The payload units' energy
 * is kept, so the matched test still weighs them against the sync units as it did.
 *
 * Measured (scratch: 3 s windows at eight offsets of four speech fixtures and the built-in
 * model's soundtrack, four keys, 148 windows; code alone / list test / matched test against a
 * ledger of 1e9): AAC 64k 103 / 120 / 141 -> 115 / 129 / 144; MP3 64k 134 / 137 / 142 ->
 * 137 / 144 / 148; white noise 20 dB 71 / 71 / 96 -> 69 / 73 / 96. Per group of three band pairs
 * instead of per octave (two keys): AAC 55 / 62 / 70 against 57 / 64 / 71, noise 34 / 38 / 45
 * against 35 / 38 / 50 (20 sync units a group are too few).
 *
 * The phase, measured the same way (three keys; the soundtrack for eight prompts, 192 windows,
 * and four speech fixtures, 90; delivered as AAC 320k, then re-encoded): stereo AAC 64k, the
 * soundtrack 29 / 46 / 56 -> 40 / 46 / 58, speech 62 / 71 / 86 -> 67 / 75 / 86 of 90. MP3 64k
 * (two keys): the soundtrack 56 / 69 / 79 -> 57 / 72 / 79 of 128, speech 55 / 59 / 60 -> 55 /
 * 58 / 60. White noise over the 48 kHz track (one key): the soundtrack 0 / 1 / 1 -> 0 / 0 / 0 of
 * 64 (0 / 1 / 1 -> 0 / 2 / 3 with other noise draws), speech 25 / 26 / 30 -> 26 / 27 / 30. One phase pooled over the octaves did less (the
 * soundtrack after AAC 64k, two keys: 18 / 27 / 32 against 26 / 29 / 36 of 128), and SHRINK 10
 * or 40 about the same.
 */
const SHRINK = 20;

export function octaveWeighted(
  soft: Float64Array,
  quad: Float64Array,
  sync: Int8Array,
  octaveOfUnit: Int32Array,
  octaves: number,
): Float64Array {
  // per octave and pooled: the sums of the sync units' values (times their signs) and energy
  const sr = new Float64Array(octaves),
    si = new Float64Array(octaves),
    s2 = new Float64Array(octaves),
    n = new Float64Array(octaves);
  let ar = 0,
    ai = 0,
    a2 = 0,
    an = 0;
  for (let u = 0; u < soft.length; u++)
    if (sync[u]) {
      const xr = sync[u] * soft[u],
        xi = sync[u] * quad[u];
      const o = octaveOfUnit[u];
      sr[o] += xr;
      si[o] += xi;
      s2[o] += xr * xr + xi * xi;
      n[o]++;
      ar += xr;
      ai += xi;
      a2 += xr * xr + xi * xi;
      an++;
    }
  const out = Float64Array.from(soft);
  if (!an) return out;
  // the weight of an octave: its mean (a complex number) over the spread of one component
  const wr = new Float64Array(octaves),
    wi = new Float64Array(octaves);
  for (let o = 0; o < octaves; o++) {
    const mr = (sr[o] + (SHRINK * ar) / an) / (n[o] + SHRINK),
      mi = (si[o] + (SHRINK * ai) / an) / (n[o] + SHRINK);
    const v = ((s2[o] + (SHRINK * a2) / an) / (n[o] + SHRINK) - mr * mr - mi * mi) / 2;
    // an octave that disagrees with its known signs on average carries nothing here
    if (mr > 0 && v > 0) {
      wr[o] = mr / v;
      wi[o] = mi / v;
    }
  }
  let before = 0,
    after = 0;
  for (let u = 0; u < soft.length; u++)
    if (!sync[u]) {
      const o = octaveOfUnit[u];
      out[u] = soft[u] * wr[o] + quad[u] * wi[o];
      before += soft[u] * soft[u];
      after += out[u] * out[u];
    }
  if (!(after > 0)) return Float64Array.from(soft);
  const k = Math.sqrt(before / after);
  for (let u = 0; u < soft.length; u++) if (!sync[u]) out[u] *= k;
  return out;
}
