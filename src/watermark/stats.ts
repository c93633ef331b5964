/** log10 of the upper tail of the standard normal, accurate far into the tail. */
export function log10NormalTail(z: number): number {
  if (z < 5) return Math.log10(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic series for the Mills ratio.
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return (-z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(series)) / Math.LN10;
}

/**
 * The smallest c with P(S >= x) <= c * P(N(0,1) >= x) for every weighted Rademacher sum S of unit
 * variance and every x: c = 1 / (4 P(N(0,1) >= sqrt 2)) (Bentkus and Dzindzalieta, Bernoulli 21,
 * 2015). A self-normalised sum of keyed random signs is such a sum.
 */
export const RADEMACHER_TAIL_C = 1 / (4 * 0.5 * erfc(1));

/** log10 of a bound on P(S >= z) for a weighted Rademacher sum S of unit variance. */
export function log10RademacherTail(z: number): number {
  // Hoeffding's exp(-z^2 / 2) is the smaller of the two below z of about 1.
  return Math.min(Math.log10(RADEMACHER_TAIL_C) + log10NormalTail(z), (-z * z * Math.LOG10E) / 2);
}

function erfc(x: number): number {
  // Numerical Recipes erfcc (fractional error < 1.2e-7).
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Union bound: p <= nTrials * Q(z), clamped to [0, 1], returned as a number (may underflow to 0). */
export function unionPValue(z: number, nTrials: number, extraLog10 = 0): number {
  const l = Math.min(0, log10NormalTail(z) + Math.log10(nTrials) + extraLog10);
  return Math.pow(10, l);
}
