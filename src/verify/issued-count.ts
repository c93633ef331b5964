/**
 * The N of the watermark's ledger-aided p-value, without a count(*) on every verification. The
 * ledger only grows, so a count read up to `ttlMs` ago is low by whatever was issued since; the
 * bound doubles it and adds a margin, which stays an upper bound unless the ledger more than
 * doubles within the TTL. Any upper bound keeps the p-value conservative, and doubling N moves a
 * typical ledger-aided p-value (~1e-13) by a factor of two only.
 */
export function issuedCountBound(count: number): number {
  return 2 * count + 1000;
}

export function createIssuedCountCache(
  countIssued: () => Promise<number>,
  ttlMs = 60_000,
  now: () => number = Date.now,
): () => Promise<number> {
  let cached: { at: number; bound: Promise<number> } | null = null;
  return () => {
    if (!cached || now() - cached.at > ttlMs) {
      const bound = countIssued().then(issuedCountBound);
      cached = { at: now(), bound };
      // A failed count is not kept: the next call asks again.
      bound.catch(() => {
        if (cached?.bound === bound) cached = null;
      });
    }
    return cached.bound;
  };
}
