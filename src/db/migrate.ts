import fs from 'node:fs';
import path from 'node:path';
import type { Database } from './database';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  const files = fs.readdirSync(dir).filter((f) => /^\d{3,}_[a-z0-9_]+\.sql$/.test(f));
  const seen = new Set<number>();
  return files.sort().map((f) => {
    const version = Number(f.split('_')[0]);
    if (seen.has(version)) throw new Error(`Two migrations share the number ${version}: ${f}`);
    seen.add(version);
    return { version, name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') };
  });
}

/**
 * Applies pending migrations in order, each in its own transaction. On PostgreSQL an advisory
 * lock keeps several starting processes from applying the same migration twice.
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const applied: string[] = [];
  await db.exec(`create table if not exists schema_migrations (
    version integer primary key, name text not null, applied_at timestamptz not null default now())`);
  const files = listMigrations(dir);
  await db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('select pg_advisory_xact_lock(727274001)');
    const done = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).rows.map((r) =>
        Number(r.version),
      ),
    );
    for (const m of files) {
      if (done.has(m.version)) continue;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}

/** Splits a plain SQL file on semicolons outside quotes and $$ bodies, so it can run inside one transaction. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quote: string | null = null;
  while (i < sql.length) {
    const ch = sql[i];
    if (!quote && ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl;
      continue;
    }
    if (quote) {
      if (sql.startsWith(quote, i)) {
        cur += quote;
        i += quote.length;
        quote = null;
        continue;
      }
    } else if (ch === "'") quote = "'";
    else if (ch === '$') {
      const m = /^\$[a-zA-Z_]*\$/.exec(sql.slice(i));
      if (m) {
        quote = m[0];
        cur += m[0];
        i += m[0].length;
        continue;
      }
    } else if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      i++;
      continue;
    }
    cur += ch;
    i++;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
