import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The liveness challenge shown to someone enrolling a cameo: head turns in a given order, each in
 * its time window, a blink, and a 6-digit code to read aloud in its window. Directions are the
 * person's own (turn to YOUR left), which in the unmirrored camera recording moves the nose
 * towards the image's right edge.
 */
export const TURN_DIRECTIONS = ['left', 'right', 'up', 'down'] as const;
export type TurnDirection = (typeof TURN_DIRECTIONS)[number];

const windowSchema = z
  .object({ startSec: z.number().min(0), endSec: z.number().positive() })
  .refine((w) => w.endSec > w.startSec, 'window must end after it starts');
export type TimeWindow = z.infer<typeof windowSchema>;

export const challengeSchema = z.object({
  id: z.string().min(1),
  turns: z
    .array(z.object({ direction: z.enum(TURN_DIRECTIONS), window: windowSchema }))
    .min(1)
    .max(4),
  blink: z.object({ window: windowSchema }),
  code: z.object({ digits: z.string().regex(/^\d{6}$/), window: windowSchema }),
  /** How long the capture page records. */
  durationSec: z.number().positive().max(30),
});
export type Challenge = z.infer<typeof challengeSchema>;

/** Produces a challenge. The default draws from crypto; tests pass one that returns a fixed challenge. */
export type ChallengeGenerator = () => Challenge;

/** Seconds given to each head turn, and to reading the code (6 digits take ~2.5 s to say). */
export const TURN_WINDOW_SEC = 2;
export const CODE_WINDOW_SEC = 3.5;
const LEAD_IN_SEC = 0.5;

export const randomChallenge: ChallengeGenerator = () => {
  const count = randomInt(2, 4);
  const turns: Challenge['turns'] = [];
  let t = LEAD_IN_SEC;
  let last: TurnDirection | undefined;
  for (let i = 0; i < count; i++) {
    // No direction twice in a row: "left, left" would be one long turn, easier to pre-record.
    const options = TURN_DIRECTIONS.filter((d) => d !== last);
    const direction = options[randomInt(options.length)]!;
    turns.push({ direction, window: { startSec: t, endSec: t + TURN_WINDOW_SEC } });
    t += TURN_WINDOW_SEC;
    last = direction;
  }
  const code = {
    digits: String(randomInt(0, 1_000_000)).padStart(6, '0'),
    window: { startSec: t, endSec: t + CODE_WINDOW_SEC },
  };
  const durationSec = t + CODE_WINDOW_SEC + LEAD_IN_SEC;
  return {
    id: randomUUID(),
    turns,
    blink: { window: { startSec: 0, endSec: durationSec } },
    code,
    durationSec,
  };
};

/** A fresh challenge, validated whatever generator produced it. */
export function createChallenge(generator: ChallengeGenerator = randomChallenge): Challenge {
  const c = challengeSchema.parse(generator());
  for (let i = 1; i < c.turns.length; i++) {
    if (c.turns[i]!.window.startSec < c.turns[i - 1]!.window.startSec) {
      throw new Error('challenge turns must be listed in time order');
    }
  }
  return c;
}
