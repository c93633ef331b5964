import { createIssuedPayloadCache } from '../../../src/verify/issued-payloads';

function ledger(initial: string[]) {
  const rows = initial.map((p, i) => ({ p, at: new Date(1_000_000 + i * 1000) }));
  const calls: (Date | null)[] = [];
  return {
    rows,
    calls,
    add: (p: string, at: Date) => rows.push({ p, at }),
    fetchSince: async (since: Date | null) => {
      calls.push(since);
      const got = rows.filter((r) => !since || r.at >= since);
      return { payloads: got.map((r) => r.p), newest: got.length ? got[got.length - 1].at : null };
    },
    count: async () => rows.length,
  };
}

describe('the issued identifiers kept for the matched watermark test', () => {
  it('reads the whole ledger once, then only what was created since the newest it saw (less a margin), without duplicates', async () => {
    const l = ledger(['a', 'b', 'c']);
    const scan = createIssuedPayloadCache(l.fetchSince, l.count, 10, 1500);
    expect(await scan()).toEqual({ payloads: ['a', 'b', 'c'], count: 3 });
    l.add('d', new Date(1_003_000));
    expect(await scan()).toEqual({ payloads: ['a', 'b', 'c', 'd'], count: 4 });
    expect(l.calls).toEqual([null, new Date(1_002_000 - 1500)]);
  });

  it('shares one read between callers at the same moment', async () => {
    const l = ledger(['a']);
    const scan = createIssuedPayloadCache(l.fetchSince, l.count, 10);
    const [x, y] = await Promise.all([scan(), scan()]);
    expect(x).toEqual(y);
    expect(l.calls).toHaveLength(1);
  });

  it('declines a ledger larger than its limit without reading it, and one that grows past it from then on', async () => {
    const big = ledger(['a', 'b', 'c']);
    expect(await createIssuedPayloadCache(big.fetchSince, big.count, 2)()).toBeNull();
    expect(big.calls).toEqual([]);
    const growing = ledger(['a', 'b']);
    const scan = createIssuedPayloadCache(growing.fetchSince, growing.count, 2);
    expect(await scan()).toEqual({ payloads: ['a', 'b'], count: 2 });
    growing.add('c', new Date(2_000_000));
    expect(await scan()).toBeNull();
    expect(await scan()).toBeNull();
    expect(growing.calls).toHaveLength(2);
  });
});
