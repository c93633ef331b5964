/**
 * Per-stage time of one analysis on the calling thread (wall and CPU), for tuning:
 *   npx tsx bench/consent/profile.ts [clip] [runs]
 * Without a clip it builds the bench's 10 s 1280x720 recording (talking-a scaled and padded).
 */
import fs from 'node:fs';
import { analyseInThread } from '../../src/consent/analysis';
import { createChallenge } from '../../src/consent/challenge';
import * as A from './attacks';

async function main(): Promise<void> {
  const dir = A.workDir('consent-profile-');
  try {
    const clip = process.argv[2] || (await A.scale720Variant(dir, A.TALKING_A, 10));
    const runs = Number(process.argv[3] ?? 3);
    const ch = createChallenge(A.talkingAChallenge);
    await analyseInThread(clip, ch); // models load once per thread
    for (let i = 0; i < runs; i++) {
      const r = await analyseInThread(clip, ch);
      console.log(JSON.stringify(r.timings));
      console.log(r.checks.map((c) => `${c.name}:${c.passed}:${Number(c.score).toFixed(3)}`).join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
