/**
 * A per-client fixed-window limit for the public endpoint, counted in the database so every API
 * instance shares it. Old windows are swept now and then by the requests themselves.
 */
import type { Queryable } from '../db/database';
import { RateLimited } from '../http/errors';

const WINDOW_MS = 60_000;

export function createRateLimiter(db: Queryable, perMinute: number) {
  return async function check(clientKey: string): Promise<void> {
    const start = new Date(Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS);
    const r = await db.query<{ hits: number }>(
      `insert into verify_rate_windows (client_key, window_start, hits) values ($1, $2, 1)
       on conflict (client_key, window_start) do update set hits = verify_rate_windows.hits + 1
       returning hits`,
      [clientKey.slice(0, 100), start],
    );
    if (Math.random() < 0.02)
      await db.query(`delete from verify_rate_windows where window_start < now() - interval '10 minutes'`);
    if (Number(r.rows[0].hits) > perMinute) {
      const retry = Math.ceil((start.getTime() + WINDOW_MS - Date.now()) / 1000);
      throw new RateLimited(
        'rate_limited',
        `Too many verifications from this address: the limit is ${perMinute} a minute. Try again in ${retry} s.`,
        {
          retryAfterSeconds: retry,
        },
      );
    }
  };
}
