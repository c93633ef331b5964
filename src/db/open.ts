import path from 'node:path';
import type { Config } from '../config/config';
import type { Database } from './database';
import { createPgliteDatabase } from './pglite';
import { createPostgresDatabase } from './postgres';

/** PostgreSQL when DATABASE_URL is set, else embedded PGlite in the data folder. */
export async function openDatabase(config: Pick<Config, 'DATABASE_URL' | 'dataDir'>): Promise<Database> {
  if (config.DATABASE_URL) return createPostgresDatabase(config.DATABASE_URL);
  return createPgliteDatabase(path.join(config.dataDir, 'pglite'));
}
