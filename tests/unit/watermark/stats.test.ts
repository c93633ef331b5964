import { log10NormalTail, log10RademacherTail, RADEMACHER_TAIL_C } from '../../../src/watermark/stats';
import { rng } from '../../../bench/watermark/frames';

/** Exact P(sum a_i e_i >= x) for random signs e_i, by enumerating every sign pattern. */
function exactTail(a: number[], x: number): number {
  let hits = 0;
  for (let m = 0; m < 1 << a.length; m++) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += m & (1 << i) ? a[i] : -a[i];
    if (s >= x - 1e-12) hits++;
  }
  return hits / (1 << a.length);
}

function unit(a: number[]): number[] {
  const n = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  return a.map((v) => v / n);
}

describe('the tail bound of sums of keyed random signs', () => {
  it('is 1 / (4 Q(sqrt 2)), attained by two equal weights at sqrt 2', () => {
    expect(RADEMACHER_TAIL_C).toBeCloseTo(3.1787, 3);
    expect(exactTail(unit([1, 1]), Math.SQRT2)).toBe(0.25);
    expect(10 ** log10RademacherTail(Math.SQRT2)).toBeCloseTo(0.25, 5);
  });

  it('holds for every weighting and threshold tried, exactly enumerated', () => {
    const r = rng(31);
    const weightings = [
      unit([1, 1]),
      unit([1, 1, 1]),
      unit(Array(12).fill(1)),
      unit([3, 1, 1, 1, 1]),
      ...Array.from({ length: 20 }, (_, k) => unit(Array.from({ length: 4 + (k % 9) }, () => 0.05 + r()))),
    ];
    let worst = 0;
    for (const a of weightings)
      for (let x = 0; x <= 3.5; x += 0.01) {
        const p = exactTail(a, x);
        const bound = 10 ** log10RademacherTail(x);
        expect(p).toBeLessThanOrEqual(bound * (1 + 1e-9));
        worst = Math.max(worst, p / bound);
      }
    // the bound is tight: some sum comes within a few percent of it
    expect(worst).toBeGreaterThan(0.95);
  });

  it('is 3.18 times the normal tail far out, and never above Hoeffding', () => {
    for (const z of [5, 8, 10.7, 20]) {
      expect(log10RademacherTail(z) - log10NormalTail(z)).toBeCloseTo(Math.log10(RADEMACHER_TAIL_C), 9);
      expect(log10RademacherTail(z)).toBeLessThan((-z * z * Math.LOG10E) / 2);
    }
    expect(log10RademacherTail(0.5)).toBeCloseTo((-0.25 * Math.LOG10E) / 2, 9);
  });
});
