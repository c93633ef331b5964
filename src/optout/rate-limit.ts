/**
 * Per-account fixed one-minute windows kept in the database, so every API process behind a load
 * balancer counts against the same budget.
 */
import type { Database } from '../db/database';
import { RateLimited } from '../http/errors';
import { optoutRepository } from './optout-repository';

const WINDOW_MS = 60_000;

export function createRateLimiter(deps: { db: Database; perMinute: number }) {
  let lastPrune = 0;
  return async function hit(accountId: string, now = Date.now()): Promise<void> {
    const start = new Date(Math.floor(now / WINDOW_MS) * WINDOW_MS);
    const n = await optoutRepository.hitRateWindow(deps.db, accountId, start);
    if (now - lastPrune > WINDOW_MS) {
      lastPrune = now;
      await optoutRepository.pruneRateWindows(deps.db, new Date(start.getTime() - WINDOW_MS));
    }
    if (n > deps.perMinute) {
      const retry = Math.ceil((start.getTime() + WINDOW_MS - now) / 1000);
      throw new RateLimited(
        'rate_limited',
        `You have sent more than ${deps.perMinute} policy checks this minute; try again in ${retry} s.`,
        {
          retryAfterSeconds: retry,
        },
      );
    }
  };
}
