import { octaveWeighted } from '../../../src/watermark/audio-weights';
import { gaussian, rng } from '../../../bench/watermark/frames';

// The sound mark's shape: 42 period chips x 12 band pairs, three pairs an octave.
const UNITS = 42 * 12;
const OCTAVE = Int32Array.from({ length: UNITS }, (_, u) => Math.floor((u % 12) / 3));

/** keyed-looking sync signs on about half of the units, 0 on the payload units */
function syncSigns(seed: number): Int8Array {
  const r = rng(seed);
  return Int8Array.from({ length: UNITS }, () => (r() < 0.5 ? 0 : r() < 0.5 ? 1 : -1));
}

/**
 * A reading whose octave o carries the mark with amplitude amp[o], its phase turned by turn[o]
 * radians, under unit gaussian noise in both components: a sync unit leans towards its known
 * sign, a payload unit towards +1.
 */
function reading(
  sync: Int8Array,
  amp: number[],
  seed: number,
  turn = [0, 0, 0, 0],
): { soft: Float64Array; quad: Float64Array } {
  const r = rng(seed);
  const soft = new Float64Array(UNITS),
    quad = new Float64Array(UNITS);
  for (let u = 0; u < UNITS; u++) {
    const a = (sync[u] || 1) * amp[OCTAVE[u]],
      t = turn[OCTAVE[u]];
    soft[u] = a * Math.cos(t) + gaussian(r);
    quad[u] = a * Math.sin(t) + gaussian(r);
  }
  return { soft, quad };
}

function meanOver(x: Float64Array, sync: Int8Array, octave: number): number {
  let s = 0,
    n = 0;
  for (let u = 0; u < UNITS; u++)
    if (!sync[u] && OCTAVE[u] === octave) {
      s += x[u];
      n++;
    }
  return s / n;
}

describe('sound mark: payload units weighted by how their octave carried the sync', () => {
  it('trusts an octave whose sync units agree with their signs over one that carries only noise', () => {
    const sync = syncSigns(1);
    const { soft, quad } = reading(sync, [1.5, 1.5, 1.5, 0], 2);
    const w = octaveWeighted(soft, quad, sync, OCTAVE, 4);
    const ratio = (o: number): number => meanOver(w, sync, o) / meanOver(soft, sync, o);
    expect(ratio(0)).toBeGreaterThan(1);
    expect(Math.abs(ratio(3))).toBeLessThan(0.5 * ratio(0));
  });

  it('reads an octave along the phase its sync units were turned by', () => {
    // Noise that fills the upper band of each pair biases y and turns every unit of the octave
    // the same way; read along the turned phase, the payload units agree with their chips more
    // often than their cosines alone do.
    let plain = 0,
      turned = 0,
      n = 0;
    for (let t = 0; t < 20; t++) {
      const sync = syncSigns(40 + t);
      const { soft, quad } = reading(sync, [0.8, 0.8, 0.8, 0.8], 60 + t, [-1, -1, -1, -1]);
      const w = octaveWeighted(soft, quad, sync, OCTAVE, 4);
      for (let u = 0; u < UNITS; u++)
        if (!sync[u]) {
          plain += soft[u] > 0 ? 1 : 0;
          turned += w[u] > 0 ? 1 : 0;
          n++;
        }
    }
    // cos(1) * 0.8 = 0.43 against |0.8| along the phase: 67 % against 79 % agree
    expect(plain / n).toBeLessThan(0.7);
    expect(turned / n).toBeGreaterThan(0.75);
  });

  it('leaves the sync units as they were and keeps the payload units energy', () => {
    const sync = syncSigns(3);
    const { soft, quad } = reading(sync, [2, 1, 0.5, 0.2], 4, [0.3, -0.5, -0.8, 0]);
    const w = octaveWeighted(soft, quad, sync, OCTAVE, 4);
    let e0 = 0,
      e1 = 0;
    for (let u = 0; u < UNITS; u++)
      if (sync[u]) expect(w[u]).toBe(soft[u]);
      else {
        e0 += soft[u] ** 2;
        e1 += w[u] ** 2;
      }
    expect(e1).toBeCloseTo(e0, 6);
  });

  it('keeps the soft values as they were when no octave agrees with its sync signs', () => {
    const sync = syncSigns(5);
    const { soft, quad } = reading(sync, [-1, -1, -1, -1], 6);
    expect(Array.from(octaveWeighted(soft, quad, sync, OCTAVE, 4))).toEqual(Array.from(soft));
  });

  it('does not bias an unmarked reading towards any word: the payload units stay keyed coins', () => {
    // On unmarked input the weights come from the sync units alone, so the correlation of the
    // payload units with a keyed word stays centred with unit spread (the matched test's null).
    const zs: number[] = [];
    for (let t = 0; t < 1500; t++) {
      const sync = syncSigns(100 + t);
      const { soft, quad } = reading(sync, [0, 0, 0, 0], 5000 + t);
      const w = octaveWeighted(soft, quad, sync, OCTAVE, 4);
      const r = rng(9000 + t);
      let num = 0,
        den = 0;
      for (let u = 0; u < UNITS; u++)
        if (!sync[u]) {
          num += (r() < 0.5 ? 1 : -1) * w[u];
          den += w[u] * w[u];
        }
      zs.push(den > 0 ? num / Math.sqrt(den) : 0);
    }
    const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
    const sd = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / zs.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
    expect(Math.max(...zs)).toBeLessThan(4.5);
  });
});
