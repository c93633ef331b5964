import path from 'node:path';

/** The shared fixtures live beside the project checkout (../shared/fixtures), never copied into it. */
export const FIXTURES_DIR = process.env.FIXTURES_DIR ?? path.resolve(__dirname, '../../../shared/fixtures');

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts);
}
