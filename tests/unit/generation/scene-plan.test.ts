import { planScene, promptWords } from '../../../src/models/scene-plan';
import { synthesizeSoundtrack } from '../../../src/models/soundtrack';

describe('scene plan from a prompt and a seed', () => {
  it('is identical for the same prompt and seed', () => {
    expect(planScene('a calm ocean at night', 7, 1)).toEqual(planScene('a calm ocean at night', 7, 1));
  });

  it('changes with the seed and with the prompt', () => {
    const a = planScene('a calm ocean at night', 7, 1);
    expect(planScene('a calm ocean at night', 8, 1)).not.toEqual(a);
    expect(planScene('a busy city party', 7, 1)).not.toEqual(a);
  });

  it('takes the palette from words naming a setting', () => {
    const forest = planScene('a walk in the forest', 1, 0).palette;
    const greens = [
      ['#134e5e', '#71b280', '#d4fc79'],
      ['#0b486b', '#56ab2f', '#a8e063'],
    ];
    expect(greens).toContainEqual(forest);
  });

  it('moves faster for fast words and slower for calm ones', () => {
    const fast = planScene('a fast walk', 3, 0);
    const slow = planScene('a calm walk', 3, 0);
    expect(fast.panPeriodSec).toBeLessThan(slow.panPeriodSec);
    expect(fast.music.beatSec).toBeLessThan(slow.music.beatSec);
  });

  it('uses a minor chord for sad words and a major one otherwise', () => {
    expect(planScene('a sad rainy day', 1, 0).music.chord).toEqual([0, 3, 7]);
    expect(planScene('a sunny day', 1, 0).music.chord).toEqual([0, 4, 7]);
  });

  it('plans one orbit per cameo face, spread across the width', () => {
    const p = planScene('two friends', 5, 2);
    expect(p.faceMotion).toHaveLength(2);
    expect(p.faceMotion[0]!.cx).toBeLessThan(p.faceMotion[1]!.cx);
  });

  it('ignores cameo handles when reading the prompt', () => {
    expect(promptWords('@maya_22 on the beach')).toEqual(['on', 'the', 'beach']);
  });
});

describe('synthesised soundtrack', () => {
  it('is stereo, of the requested length, bounded, silent at both ends and the same every time', () => {
    const m = planScene('happy music', 11, 0).music;
    const a = synthesizeSoundtrack(m, 2, 8000);
    expect(a.length).toBe(2 * 2 * 8000);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(Math.abs(a[0]!)).toBe(0);
    expect(Math.abs(a[a.length - 1]!)).toBeLessThan(0.01);
    const rms = Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
    expect(rms).toBeGreaterThan(0.02);
    expect(synthesizeSoundtrack(m, 2, 8000)).toEqual(a);
  });
});
