/**
 * Windowed-sinc resampling of mono PCM. The audio mark is always measured at one rate, so the
 * embedder sees the band energies exactly as the detector will (a measurement made at 48 kHz
 * with a different FFT grid differs by more than the quantiser tolerates).
 */
const HALF_TAPS = 16; // zero crossings each side of the kernel centre (at the lower rate)
const TABLE_STEPS = 256; // kernel samples per input sample step

function kernelTable(): Float64Array {
  const n = HALF_TAPS * TABLE_STEPS;
  const t = new Float64Array(n + 2);
  for (let i = 0; i <= n; i++) {
    const x = i / TABLE_STEPS;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const w =
      0.42 + 0.5 * Math.cos((Math.PI * x) / HALF_TAPS) + 0.08 * Math.cos((2 * Math.PI * x) / HALF_TAPS); // Blackman
    t[i] = sinc * w;
  }
  return t;
}
let table: Float64Array | null = null;

export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return x;
  table ??= kernelTable();
  const tab = table;
  const ratio = to / from;
  // Below the Nyquist of the lower rate, with a little margin for the transition band.
  const fc = Math.min(1, ratio) * 0.94;
  const reach = HALF_TAPS / fc; // input samples each side
  const nOut = Math.floor((x.length * to) / from);
  const y = new Float32Array(nOut);
  const tabMax = HALF_TAPS * TABLE_STEPS;
  for (let j = 0; j < nOut; j++) {
    const pos = (j * from) / to;
    const i0 = Math.max(0, Math.ceil(pos - reach)),
      i1 = Math.min(x.length - 1, Math.floor(pos + reach));
    let acc = 0;
    for (let i = i0; i <= i1; i++) {
      const d = Math.abs(i - pos) * fc * TABLE_STEPS;
      const k = d | 0;
      if (k >= tabMax) continue;
      const f = d - k;
      acc += x[i] * (tab[k] + f * (tab[k + 1] - tab[k]));
    }
    y[j] = acc * fc;
  }
  return y;
}
