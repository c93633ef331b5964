import type { Challenge } from './challenge';
import { challengeSeamOf } from './consent-module';
import type { ConsentService } from './consent-types';

/**
 * Fixes the challenge new enrollment sessions get, so a test can enroll real footage with the
 * challenge that footage answers. Exists only in a service started with NODE_ENV=test; every
 * check still runs. Pass null to go back to random challenges.
 */
export function fixChallengeForTests(consent: ConsentService, challenge: Challenge | null): void {
  const seam = challengeSeamOf(consent);
  if (!seam) throw new Error('The challenge can only be fixed in a service started with NODE_ENV=test.');
  seam(challenge ? () => ({ ...challenge, turns: challenge.turns.map((t) => ({ ...t })) }) : undefined);
}
