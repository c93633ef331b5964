/**
 * Runs every bench/*.bench.ts (or those named on the command line, e.g. `npm run bench -- watermark`).
 * Each bench module exports `run(): Promise<void>` and prints its own tables.
 */
import fs from 'node:fs';
import path from 'node:path';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  for (const f of files) {
    console.log(`\n## ${f.replace('.bench.ts', '')}\n`);
    const mod = (await import(path.join(__dirname, f))) as { run: () => Promise<void> };
    await mod.run();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
