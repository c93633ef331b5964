import {
  chipFor,
  confirmLuma,
  createLumaEmbedder,
  detectLuma,
  LumaAccumulator,
  videoChipFor,
} from '../../../src/watermark/luma';
import { IMAGE_EMBED } from '../../../src/watermark/files';
import { DECODED_WORD_P_THRESHOLD } from '../../../src/watermark/issued-match';
import { P_THRESHOLD } from '../../../src/watermark/luma-detect';
import { log10NormalTail, RADEMACHER_TAIL_C } from '../../../src/watermark/stats';
import { psnr, ssim } from '../../../src/watermark/quality';
import {
  addNoise,
  blur,
  brightnessContrast,
  crop,
  downscale,
  flipH,
  rotate,
  syntheticFrame,
  type Plane,
} from '../../../bench/watermark/frames';

const key = Buffer.alloc(32, 0x5a);
const otherKey = Buffer.alloc(32, 0x33);
const payload = 'a1b2c3d4e5f60718';

function marked(p: Plane): Plane {
  const y = Uint8Array.from(p.y);
  createLumaEmbedder(payload, key).embed(y, p.w, p.h);
  return { y, w: p.w, h: p.h };
}

describe('luma watermark on a synthetic 640x480 frame', () => {
  const orig = syntheticFrame(640, 480, 1);
  const m = marked(orig);

  it('is invisible: PSNR >= 42 dB and SSIM >= 0.99', () => {
    expect(psnr(orig.y, m.y)).toBeGreaterThanOrEqual(42);
    expect(ssim(orig.y, m.y, m.w, m.h)).toBeGreaterThanOrEqual(0.99);
  });

  it('reads the payload back from the untouched frame with a tiny p-value', () => {
    const d = detectLuma(m.y, m.w, m.h, key);
    expect(d.detected).toBe(true);
    expect(d.payloadHex).toBe(payload);
    expect(d.pValue).toBeLessThan(1e-9);
    expect(d.transform?.scale).toBeCloseTo(1, 2);
  });

  it('does not detect the unmarked frame, nor the marked frame under another key', () => {
    expect(detectLuma(orig.y, orig.w, orig.h, key).detected).toBe(false);
    expect(detectLuma(m.y, m.w, m.h, otherKey).detected).toBe(false);
  });

  const attacks: [string, (p: Plane) => Plane, (d: ReturnType<typeof detectLuma>) => void][] = [
    [
      'a crop keeping half the area at an odd offset',
      (p) => crop(p, 101, 37, 453, 339),
      (d) => expect(d.transform?.scale).toBeCloseTo(1, 2),
    ],
    ['a horizontal flip', flipH, (d) => expect(d.transform?.flipped).toBe(true)],
    [
      'a 4 degree rotation',
      (p) => rotate(p, 4),
      (d) => expect(Math.abs(Math.abs(d.transform!.rotationDeg) - 4)).toBeLessThan(0.5),
    ],
    [
      'a downscale to 50% width',
      (p) => downscale(p, 0.5),
      (d) => expect(d.transform?.scale).toBeCloseTo(0.5, 2),
    ],
    ['brightness +30% and contrast -30%', (p) => brightnessContrast(p, 0.7, 30), () => undefined],
    ['gaussian noise sigma 8', (p) => addNoise(p, 8, 5), () => undefined],
    ['a mild gaussian blur (sigma 1)', (p) => blur(p, 1), () => undefined],
  ];
  it.each(attacks)('survives %s', (_name, attack, check) => {
    const a = attack(m);
    const d = detectLuma(a.y, a.w, a.h, key);
    expect(d.payloadHex).toBe(payload);
    check(d);
  });
});

describe('luma watermark chip size by frame size', () => {
  // One frame without averaging: the still-image strength keeps these about the chip geometry.
  const strong = (p: Plane): Plane => {
    const y = Uint8Array.from(p.y);
    createLumaEmbedder(payload, key, IMAGE_EMBED).embed(y, p.w, p.h);
    return { y, w: p.w, h: p.h };
  };

  it('uses 8 px chips from a 540 px short side and still reads scale and payload after halving', () => {
    const big = strong(syntheticFrame(960, 540, 3));
    const d = detectLuma(big.y, big.w, big.h, key);
    expect(d.payloadHex).toBe(payload);
    expect(d.transform?.scale).toBeCloseTo(1, 2);
    expect(d.transform?.tileScale).toBeCloseTo(1, 2);
    const half = downscale(big, 0.5);
    const h = detectLuma(half.y, half.w, half.h, key);
    expect(h.payloadHex).toBe(payload);
    expect(h.transform?.scale).toBeCloseTo(0.5, 2);
  });

  it('reports an untouched small-chip frame as unscaled', () => {
    const d = detectLuma(strong(syntheticFrame(480, 360, 4)).y, 480, 360, key, { originPrior: true });
    expect(d.payloadHex).toBe(payload);
    expect(d.transform?.tileScale).toBeCloseTo(0.75, 2);
    expect(d.transform?.scale).toBeCloseTo(1, 2);
  });
  it('gives a clip 8 px chips on smaller frames than a still: from three tiles of area and a tile across', () => {
    expect([chipFor(640, 360), videoChipFor(640, 360)]).toEqual([6, 8]);
    expect([chipFor(512, 512), videoChipFor(512, 512)]).toEqual([6, 8]);
    expect(videoChipFor(512, 480)).toBe(8);
    // 2.25 tiles: a single frame's texture costs the 8 px tile more than compression gains it
    expect(videoChipFor(384, 384)).toBe(6);
    expect(videoChipFor(1000, 200)).toBe(6);
    expect([chipFor(960, 540), videoChipFor(960, 540)]).toEqual([8, 8]);
  });

  it('finds a clip frame two tiles across (512x512, 8 px chips) downscaled to 40 %, whose lattice is half the frame wide', () => {
    const p = syntheticFrame(512, 512, 6);
    const y = Uint8Array.from(p.y);
    createLumaEmbedder(payload, key, { ...IMAGE_EMBED, video: true }).embed(y, p.w, p.h);
    const small = downscale({ y, w: p.w, h: p.h }, 0.4);
    expect(small.w).toBe(205);
    const d = detectLuma(small.y, small.w, small.h, key);
    expect(d.payloadHex).toBe(payload);
    expect(d.pValue).toBeLessThanOrEqual(P_THRESHOLD);
    expect(d.transform?.tileScale).toBeCloseTo(0.4, 2);
  });

  it('reads an untouched 640x360 clip frame marked with 8 px chips and reports it unscaled', () => {
    const p = syntheticFrame(640, 360, 5);
    const y = Uint8Array.from(p.y);
    createLumaEmbedder(payload, key, { ...IMAGE_EMBED, video: true }).embed(y, p.w, p.h);
    const d = detectLuma(y, p.w, p.h, key, { originPrior: true });
    expect(d.payloadHex).toBe(payload);
    expect(d.transform?.tileScale).toBeCloseTo(1, 2);
    expect(d.transform?.scale).toBeCloseTo(1, 2);
  });
});

describe('the quick path (untouched and halved scales at every offset) as a stage of its own', () => {
  const noisy = addNoise(marked(syntheticFrame(640, 480, 1)), 12, 7);

  it('decides an offset crop charged only the hypotheses it can return, which the whole search could not', () => {
    const cropped = crop(noisy, 101, 37, 453, 339);
    const d = detectLuma(cropped.y, cropped.w, cropped.h, key);
    expect(d.detected).toBe(true);
    expect(d.payloadHex).toBe(payload);
    expect(d.transform).toMatchObject({ flipped: false });
    // the polish may keep a step of its own (0.04 degrees)
    expect(Math.abs(d.transform!.rotationDeg)).toBeLessThan(0.2);
    // two stages (quick path and full search) x 4 fixed scales x 20 polish steps x 2 flips x 64^2
    // offsets x 2 readings (with and without the surround)
    expect(d.trials).toBe(2 * 4 * 20 * 2 * 64 * 64 * 2);
    // charged the whole search's count (1.67e9 at 453x339), the same reading would not clear 1e-9
    expect((d.pValue * 1.67e9) / d.trials!).toBeGreaterThan(1e-9);
    // an early look that stops after the fixed scales is charged the same
    const early = detectLuma(cropped.y, cropped.w, cropped.h, key, { cheapOnly: true });
    expect(early).toMatchObject({ detected: true, payloadHex: payload, trials: d.trials });
  });

  it('decides by the decoded word where the sync and the CRC fall short: every chip read against it, charged for 2^64 words', () => {
    const cropped = crop(addNoise(marked(syntheticFrame(640, 480, 1)), 13, 7), 101, 37, 453, 339);
    const d = detectLuma(cropped.y, cropped.w, cropped.h, key);
    expect(d).toMatchObject({ detected: true, payloadHex: payload, crcOk: true });
    // the list test's p-value for the same reading: sync tail x the quick path's count x the CRC's share
    const listP = d.trials! * RADEMACHER_TAIL_C * 10 ** log10NormalTail(d.score) * d.payloadCrcRate!;
    expect(listP).toBeGreaterThan(P_THRESHOLD);
    expect(d.pValue).toBeLessThanOrEqual(DECODED_WORD_P_THRESHOLD);
  });

  it('charges a rotated frame, which only the full search finds, for every geometry it searched', () => {
    const r = rotate(noisy, 3);
    const d = detectLuma(r.y, r.w, r.h, key);
    expect(d.detected).toBe(true);
    expect(d.trials).toBeGreaterThan(1e9);
  });
});

describe('the origin test (a delivered clip re-encoded without resizing or cropping)', () => {
  // Noise 25 no longer serves: there a CRC-valid path ranked below the list test's 16 lets the
  // decoded-word test decide in the search as well. From 26 the searches' CRC fails, and from 27.5
  // the origin's too.
  const noisy = addNoise(marked(syntheticFrame(640, 480, 1)), 26.5, 7);

  it('decides with a couple of dozen trials where the searches over every offset cannot clear their union bounds', () => {
    const searched = detectLuma(noisy.y, noisy.w, noisy.h, key);
    const withOrigin = detectLuma(noisy.y, noisy.w, noisy.h, key, { originPrior: true });
    expect(searched.detected).toBe(false);
    expect(withOrigin.detected).toBe(true);
    expect(withOrigin.trials).toBeLessThanOrEqual(24);
    // the quick path's own count (fixed scales, polish, flips, offsets), the least a search is charged
    expect(searched.trials).toBeGreaterThan(1e6);
    expect(withOrigin.transform).toMatchObject({ offsetX: 0, offsetY: 0, rotationDeg: 0, flipped: false });
  });

  it('confirms a part at the geometry found, charged the trials of the stage that found it', () => {
    const d = detectLuma(noisy.y, noisy.w, noisy.h, key, { originPrior: true });
    const asFound = confirmLuma(Float32Array.from(noisy.y), noisy.w, noisy.h, key, d.transform!, d.trials);
    const asSearched = confirmLuma(Float32Array.from(noisy.y), noisy.w, noisy.h, key, d.transform!);
    expect(asFound.detected).toBe(true);
    expect(asSearched.pValue).toBeGreaterThan(asFound.pValue * 1e6);
  });

  it('is not fooled on unmarked frames: the origin alone never reaches the threshold', () => {
    for (let i = 0; i < 6; i++) {
      const f = syntheticFrame(640, 480, 300 + i);
      expect(detectLuma(f.y, f.w, f.h, key, { originPrior: true }).detected).toBe(false);
    }
  });
});

describe('luma watermark across frames', () => {
  it('averages frames: eight noisy copies of a moving scene decode where one alone is weaker', () => {
    const acc = new LumaAccumulator(320, 240);
    const scores: number[] = [];
    for (let i = 0; i < 8; i++) {
      const f = addNoise(marked(syntheticFrame(320, 240, 10 + i)), 16, i);
      acc.add(f.y);
      scores.push(detectLuma(f.y, f.w, f.h, key, { originPrior: true }).score);
    }
    const d = detectLuma(acc.mean(), 320, 240, key, { originPrior: true });
    expect(d.payloadHex).toBe(payload);
    expect(d.score).toBeGreaterThan(Math.max(...scores));
  });
});

describe('luma watermark on bad input', () => {
  it('reports a reason for frames below the minimum size', () => {
    const d = detectLuma(new Uint8Array(64 * 64), 64, 64, key);
    expect(d.detected).toBe(false);
    expect(d.reason).toMatch(/smaller/);
  });
  it('reports a reason for a flat black frame, and leaves a tiny frame unmarked', () => {
    const d = detectLuma(new Uint8Array(320 * 240), 320, 240, key);
    expect(d).toMatchObject({ detected: false, payloadHex: null });
    expect(d.reason).toMatch(/flat/);
    const tiny = new Uint8Array(50 * 50).fill(90);
    expect(createLumaEmbedder(payload, key).embed(tiny, 50, 50)).toBe(0);
    expect(tiny.every((v) => v === 90)).toBe(true);
  });
  it('handles odd sizes: a 641x363 still marked at the still-image level reads back', () => {
    const m = syntheticFrame(641, 363, 4);
    createLumaEmbedder(payload, key, IMAGE_EMBED).embed(m.y, m.w, m.h);
    const d = detectLuma(m.y, m.w, m.h, key, { originPrior: true });
    expect(d.payloadHex).toBe(payload);
  });
});

describe('false positives on unmarked frames', () => {
  it('stays below the operating threshold on 12 unmarked synthetic frames covering every size combination', () => {
    let maxScore = 0;
    for (let i = 0; i < 12; i++) {
      const f = syntheticFrame(160 + (i % 4) * 48, 120 + (i % 3) * 40, 100 + i);
      const d = detectLuma(f.y, f.w, f.h, key);
      expect(d.detected).toBe(false);
      maxScore = Math.max(maxScore, d.score);
    }
    expect(maxScore).toBeLessThan(7);
  });
});
