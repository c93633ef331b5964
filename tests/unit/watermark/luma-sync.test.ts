import { chipSoftFromFold, READ_RINGS, syncFold, syncSpectrum } from '../../../src/watermark/luma-fold';
import { layoutFor, NB, GRID } from '../../../src/watermark/luma-tile';
import { RADEMACHER_TAIL_C, log10NormalTail } from '../../../src/watermark/stats';
import { gaussian, rng } from '../../../bench/watermark/frames';

const key = Buffer.alloc(32, 0x5a);
const layout = layoutFor(key);
const spec = syncSpectrum(key, layout);

/** A fold with host structure: white noise plus a smooth field that leans the same way across bins. */
function hostFold(seed: number, smooth: number): Float64Array {
  const r = rng(seed);
  const f = new Float64Array(NB * NB);
  const waves = Array.from({ length: 6 }, () => ({
    fx: Math.floor(r() * 6),
    fy: Math.floor(r() * 6),
    ph: r() * 2 * Math.PI,
    a: smooth * gaussian(r),
  }));
  for (let y = 0; y < NB; y++)
    for (let x = 0; x < NB; x++) {
      let v = gaussian(r);
      for (const w of waves) v += w.a * Math.cos((2 * Math.PI * (w.fx * x + w.fy * y)) / NB + w.ph);
      f[y * NB + x] = v;
    }
  return f;
}

/** The sync chips' signed sum over their energy, read directly from chip values. */
function directScore(chips: Float64Array): number {
  let s = 0,
    e = 0;
  for (let i = 0; i < layout.syncIdx.length; i++) {
    const v = chips[layout.syncIdx[i]];
    s += layout.syncSign[i] * v;
    e += v * v;
  }
  return s / Math.sqrt(e);
}

/** Adds the sync chips at offset (ox, oy) bins, amplitude a per bin, two bins a chip. */
function withSync(f: Float64Array, a: number, ox: number, oy: number): Float64Array {
  const g = Float64Array.from(f);
  for (let i = 0; i < layout.syncIdx.length; i++) {
    const c = layout.syncIdx[i];
    const cx = c % GRID,
      cy = (c / GRID) | 0;
    for (let dy = 0; dy < 2; dy++)
      for (let dx = 0; dx < 2; dx++)
        g[((2 * cy + dy + oy) % NB) * NB + ((2 * cx + dx + ox) % NB)] += a * layout.syncSign[i];
  }
  return g;
}

describe('the picture sync score: a self-normalised sum of keyed signs', () => {
  it('is the sync chips’ signed sum over the square root of their energy, at the offset it reports', () => {
    const f = withSync(hostFold(1, 3), 0.4, 13, 40);
    const fr = syncFold(f, spec);
    expect([fr.ox, fr.oy]).toEqual([13, 40]);
    expect(directScore(chipSoftFromFold(fr))).toBeCloseTo(fr.z, 9);
    const at = syncFold(f, spec, { ox: 5, oy: 7 });
    expect([at.ox, at.oy]).toEqual([5, 7]);
    expect(directScore(chipSoftFromFold(at))).toBeCloseTo(at.z, 9);
  });

  it('reads a fold with host structure through the surround, and scores it higher than the chips’ own bins do', () => {
    const fr = syncFold(withSync(hostFold(2, 1), 0.45, 22, 9), spec);
    expect([fr.ring, fr.ox, fr.oy]).toEqual([READ_RINGS[1], 22, 9]);
    const own = directScore(chipSoftFromFold(fr, 1));
    expect(fr.z).toBeGreaterThan(6);
    expect(fr.z).toBeGreaterThan(own + 2);
  });

  it('reads a fold under white noise through the chips’ own bins, which keep the whole chip', () => {
    const fr = syncFold(withSync(hostFold(3, 0), 0.3, 5, 50), spec);
    expect([fr.ring, fr.ox, fr.oy]).toEqual([READ_RINGS[0], 5, 50]);
    expect(fr.z).toBeGreaterThan(directScore(chipSoftFromFold(fr, 1)));
  });

  it('stays within its proven tail on unmarked folds, white or structured, over every offset and reading', () => {
    let max = -Infinity;
    const folds = 60;
    for (let i = 0; i < folds; i++) max = Math.max(max, syncFold(hostFold(100 + i, i % 2 ? 8 : 0), spec).z);
    // every score over 60 folds x 4096 offsets x 2 readings: the union bound puts z >= 5.6 at 2.4%
    const log10Bound =
      Math.log10(folds * NB * NB * READ_RINGS.length * RADEMACHER_TAIL_C) + log10NormalTail(5.6);
    expect(log10Bound).toBeLessThan(Math.log10(0.025));
    expect(max).toBeLessThan(5.6);
  });
});
