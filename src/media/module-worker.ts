/**
 * Starts a worker thread on a TypeScript module of this project. Under tsx and jest the module is
 * the .ts source and the bootstrap registers tsx inside the worker; a tsc build runs the compiled
 * .js. The bootstrap is plain JavaScript evaluated as the worker's main script, so it needs no
 * loader of its own.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs/api').register();
require(workerData.entry);
`;

/**
 * The module `name` beside the caller's file, with the caller's own extension (`.ts` from source,
 * `.js` in a build): call as moduleBeside(__dirname, __filename, 'entry').
 */
export function moduleBeside(dirname: string, filename: string, name: string): string {
  return path.join(dirname, `${name}${path.extname(filename)}`);
}

export function startModuleWorker(entry: string, data: Record<string, unknown> = {}): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry } });
}
