import { createIssuedCountCache, issuedCountBound } from '../../../src/verify/issued-count';

describe('the issued-identifier count behind ledger-aided watermark decisions', () => {
  it('bounds the count from above with room for a ledger that doubles', () => {
    expect(issuedCountBound(0)).toBe(1000);
    expect(issuedCountBound(5_000_000)).toBe(10_001_000);
  });

  it('counts once per minute, shares one query between concurrent callers, and asks again after a failure', async () => {
    let t = 0;
    let calls = 0;
    let fail = false;
    let n = 10;
    const bound = createIssuedCountCache(
      async () => {
        calls++;
        if (fail) throw new Error('database unavailable');
        return n;
      },
      60_000,
      () => t,
    );
    expect(await Promise.all([bound(), bound()])).toEqual([1020, 1020]);
    expect(calls).toBe(1);
    n = 50;
    t = 59_000;
    expect(await bound()).toBe(1020);
    t = 61_000;
    expect(await bound()).toBe(1100);
    expect(calls).toBe(2);
    fail = true;
    t = 130_000;
    await expect(bound()).rejects.toThrow('database unavailable');
    fail = false;
    expect(await bound()).toBe(1100);
    expect(calls).toBe(4);
  });
});
