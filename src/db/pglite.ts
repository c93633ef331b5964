import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database';

/**
 * Embedded PostgreSQL (WASM) for the two-command start. PGlite is a single connection, so a
 * transaction holds a process-wide turn: other queries wait for it rather than interleave.
 */
export async function createPgliteDatabase(dir: string | null): Promise<Database> {
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const db = dir ? await PGlite.create(dir) : await PGlite.create();
  await db.query(`set timezone to 'UTC'`);

  const wrap = (q: { query: typeof db.query }): Queryable => ({
    query: async (sql, params) => {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
  });

  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async exec(sql) {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}
