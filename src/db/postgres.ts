import { Pool, types } from 'pg';
import type { Database, Queryable, QueryResult } from './database';

// bigint columns (audit ids, counts) come back as strings by default; they stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export function createPostgresDatabase(
  url: string,
  opts: { searchPath?: string; max?: number } = {},
): Database {
  const pool = new Pool({
    connectionString: url,
    max: opts.max ?? 10,
    ...(opts.searchPath ? { options: `-c search_path=${opts.searchPath}` } : {}),
  });
  // An idle client's network error must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  const run = async <R>(q: Queryable | Pool, sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
    const r = await (q as Pool).query(sql, params as unknown[]);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: async (sql, params) => {
            const r = await client.query(sql, params as unknown[]);
            return { rows: r.rows, rowCount: r.rowCount ?? 0 };
          },
        };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
