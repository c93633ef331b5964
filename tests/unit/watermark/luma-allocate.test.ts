import { allocate, WHITENED_FLOOR } from '../../../src/watermark/luma-embed';

const C2 = (0.03 * 255) ** 2;
const SEEN = 1 / 3;

/** Blocks of 8x8 px with variances from flat (0.5) to busy texture (2000), no black or white caps. */
function blocks(): { den: Float32Array; cap: Float32Array; area: Float32Array; n: number; pixels: number } {
  const n = 400;
  const den = Float32Array.from({ length: n }, (_, i) => 2 * 0.5 * 4000 ** (i / (n - 1)) + C2);
  return { den, cap: new Float32Array(n).fill(100), area: new Float32Array(n).fill(64), n, pixels: 64 * n };
}

function spend(
  a: Float32Array,
  b: ReturnType<typeof blocks>,
): { mse: number; ssimLoss: number; whitened: number } {
  let mse = 0,
    ssimLoss = 0,
    whitened = 0;
  for (let i = 0; i < b.n; i++) {
    mse += (b.area[i] * a[i] * a[i]) / b.pixels;
    ssimLoss += (SEEN * b.area[i] * a[i] * a[i]) / b.den[i] / b.pixels;
    whitened += b.area[i] * a[i] * Math.sqrt(WHITENED_FLOOR / ((b.den[i] - C2) / 2 + WHITENED_FLOOR));
  }
  return { mse, ssimLoss, whitened };
}

describe("the picture mark's amplitude per block", () => {
  const b = blocks();
  const plain = new Float32Array(b.n);
  const weighted = new Float32Array(b.n);
  allocate(b.den, b.cap, b.area, b.n, b.pixels, 0.007, 3.3, SEEN, plain);
  allocate(b.den, b.cap, b.area, b.n, b.pixels, 0.007, 3.3, SEEN, weighted, WHITENED_FLOOR);

  it('keeps the squared change and the SSIM loss within budget, weighted or not', () => {
    for (const a of [plain, weighted]) {
      const s = spend(a, b);
      expect(s.mse).toBeLessThanOrEqual(3.3 * 1.0001);
      expect(s.ssimLoss).toBeLessThanOrEqual(0.007 * 1.0001);
      expect(Math.max(s.mse / 3.3, s.ssimLoss / 0.007)).toBeGreaterThan(0.999);
    }
  });

  it('moves amplitude from busy blocks towards flat ones when weighted, for a whitened sum as large', () => {
    const share = (a: Float32Array): number => a[0] / a[b.n - 1];
    expect(share(weighted)).toBeGreaterThan(share(plain) * 1.5);
    // The knees are a grid, so the weighted optimum is only reached near its points.
    expect(spend(weighted, b).whitened).toBeGreaterThan(spend(plain, b).whitened * 0.99);
  });
});
