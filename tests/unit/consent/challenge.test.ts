import {
  createChallenge,
  randomChallenge,
  TURN_DIRECTIONS,
  type Challenge,
} from '../../../src/consent/challenge';

describe('enrollment challenge', () => {
  it('draws 2-3 head turns in consecutive windows, a blink and a 6-digit code after the turns', () => {
    for (let k = 0; k < 50; k++) {
      const c = createChallenge();
      expect(c.turns.length).toBeGreaterThanOrEqual(2);
      expect(c.turns.length).toBeLessThanOrEqual(3);
      for (let i = 0; i < c.turns.length; i++) {
        expect(TURN_DIRECTIONS).toContain(c.turns[i]!.direction);
        if (i > 0) {
          expect(c.turns[i]!.direction).not.toBe(c.turns[i - 1]!.direction);
          expect(c.turns[i]!.window.startSec).toBeGreaterThanOrEqual(c.turns[i - 1]!.window.endSec);
        }
      }
      expect(c.code.digits).toMatch(/^\d{6}$/);
      expect(c.code.window.startSec).toBeGreaterThanOrEqual(c.turns.at(-1)!.window.endSec);
      expect(c.durationSec).toBeGreaterThanOrEqual(c.code.window.endSec);
      expect(c.durationSec).toBeLessThanOrEqual(12);
      expect(c.blink.window.endSec).toBe(c.durationSec);
    }
  });

  it('gives fresh ids and codes each time', () => {
    const seen = new Set(
      Array.from({ length: 30 }, () => createChallenge()).map((c) => `${c.id}:${c.code.digits}`),
    );
    expect(seen.size).toBe(30);
    const codes = new Set(Array.from({ length: 30 }, () => randomChallenge().code.digits));
    expect(codes.size).toBeGreaterThan(25);
  });

  it('uses the generator passed in, so a test can fix the challenge to what its footage shows', () => {
    const fixed: Challenge = {
      id: 'fixed',
      turns: [
        { direction: 'left', window: { startSec: 1, endSec: 2 } },
        { direction: 'right', window: { startSec: 2, endSec: 3 } },
      ],
      blink: { window: { startSec: 0, endSec: 6 } },
      code: { digits: '012345', window: { startSec: 3, endSec: 6 } },
      durationSec: 6,
    };
    expect(createChallenge(() => fixed)).toEqual(fixed);
  });

  it('rejects a generator output that is not a valid challenge', () => {
    const bad = { ...randomChallenge(), code: { digits: '12ab', window: { startSec: 1, endSec: 2 } } };
    expect(() => createChallenge(() => bad)).toThrow();
    const unordered = randomChallenge();
    unordered.turns.reverse();
    expect(() => createChallenge(() => unordered)).toThrow(/time order/);
  });
});
