/**
 * The rightsholder opt-out registry. The generation pipeline calls `rt.optout` (an OptoutService)
 * before the model runs (prompt, reference images) and after (sampled output frames).
 */
export type { PolicyMatch, PolicyDecision, OptoutService } from './types';
export { createOptoutModule, type OptoutModule, type OptoutModuleDeps } from './optout-module';
