/** Gaussian noise from Box-Muller on a fixed LCG: the same noise every run. */
export function seededGauss(seed: number): () => number {
  let st = seed;
  return () => {
    st = (st * 1664525 + 1013904223) >>> 0;
    const u = (st + 1) / 2 ** 32;
    st = (st * 1664525 + 1013904223) >>> 0;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * st) / 2 ** 32);
  };
}

/** Adds white gaussian noise at snrDb below the signal's mean power (in place). */
export function addWhiteNoise(x: Float32Array, snrDb: number, seed: number): Float32Array {
  let e = 0;
  for (const v of x) e += v * v;
  const sd = Math.sqrt(e / x.length / 10 ** (snrDb / 10));
  const gauss = seededGauss(seed);
  for (let i = 0; i < x.length; i++) x[i] += sd * gauss();
  return x;
}
