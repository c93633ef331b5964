/**
 * A test hook that parks a generation inside a stage, so a reliability test can kill the worker
 * there. It reads GENERATION_TEST_HOLD_STAGE (a stage name, or "stage:afterPut" for the gap
 * between the blob put and the final commit) and GENERATION_TEST_HOLD_MS, and does nothing
 * unless the service runs with NODE_ENV=test.
 */
export type HoldPoint = 'policy' | 'consent' | 'rendering' | 'scanning' | 'stamping' | 'stamping:afterPut';

export function createStageHold(nodeEnv: string, env: NodeJS.ProcessEnv = process.env) {
  const point = nodeEnv === 'test' ? env.GENERATION_TEST_HOLD_STAGE : undefined;
  const ms = Number(env.GENERATION_TEST_HOLD_MS ?? 600000);
  return async (at: HoldPoint, onHold?: () => Promise<void>): Promise<void> => {
    if (!point || point !== at) return;
    await onHold?.();
    await new Promise((r) => setTimeout(r, ms));
  };
}
