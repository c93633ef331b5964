/**
 * A test hook that parks a generation inside a stage, so a reliability test can kill the worker
 * there. Only in a service started with NODE_ENV=test: a generation holds at a point when
 * GENERATION_TEST_HOLD_STAGE names it, or when its prompt carries `[test-hold:<point>]` (so one
 * worker can hold several generations at different stages). GENERATION_TEST_HOLD_MS sets how long.
 */
export type HoldPoint = 'policy' | 'consent' | 'rendering' | 'scanning' | 'stamping' | 'stamping:afterPut';

export function createStageHold(nodeEnv: string, env: NodeJS.ProcessEnv = process.env) {
  const enabled = nodeEnv === 'test';
  const point = env.GENERATION_TEST_HOLD_STAGE;
  const ms = Number(env.GENERATION_TEST_HOLD_MS ?? 600000);
  return async (at: HoldPoint, prompt: string): Promise<void> => {
    if (!enabled) return;
    if (point !== at && !prompt.includes(`[test-hold:${at}]`)) return;
    await new Promise((r) => setTimeout(r, ms));
  };
}
