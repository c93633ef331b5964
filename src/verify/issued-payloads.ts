/**
 * Every identifier the ledger issued, for the watermark's matched test, kept in memory: the first
 * call reads them all, later calls only the entries created since the newest one seen (less a
 * margin for transactions that committed late). Entries are never deleted (takedowns keep them),
 * so the set only grows. More than `limit` identifiers: null from then on, and the caller keeps to
 * the tests that ask about a few.
 */
export function createIssuedPayloadCache(
  fetchSince: (since: Date | null) => Promise<{ payloads: string[]; newest: Date | null }>,
  countIssued: () => Promise<number>,
  limit: number,
  marginMs = 5 * 60_000,
): () => Promise<{ payloads: readonly string[]; count: number } | null> {
  const seen = new Set<string>();
  const payloads: string[] = [];
  let newest: Date | null = null;
  let inFlight: Promise<void> | null = null;
  // The ledger only grows: once too large, it stays so.
  let tooLarge = false;
  const refresh = async (): Promise<void> => {
    // the first read is counted first, so a ledger too large is never loaded
    if (!newest && (await countIssued()) > limit) {
      tooLarge = true;
      return;
    }
    const since = newest ? new Date(newest.getTime() - marginMs) : null;
    const r = await fetchSince(since);
    for (const p of r.payloads)
      if (!seen.has(p)) {
        seen.add(p);
        payloads.push(p);
      }
    if (r.newest && (!newest || r.newest > newest)) newest = r.newest;
    if (payloads.length > limit) {
      tooLarge = true;
      seen.clear();
      payloads.length = 0;
    }
  };
  return async () => {
    if (tooLarge) return null;
    // Callers at the same moment share one read.
    inFlight ??= refresh().finally(() => {
      inFlight = null;
    });
    await inFlight;
    return tooLarge ? null : { payloads, count: payloads.length };
  };
}
