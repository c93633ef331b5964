import type { Config } from '../config/config';
import { createHttpModel } from './http-model';
import { createLocalModel } from './local-model';
import type { VideoModel } from './types';

export * from './types';
export { createLocalModel, LOCAL_MODEL_FPS } from './local-model';
export { createHttpModel, httpRenderRequestSchema, type HttpRenderRequest } from './http-model';
export { probeClip, clipMismatch, type ClipProbe } from './probe';

/** The configured model: the external server when CONSENTRY_MODEL_URL is set, else the built-in one. */
export function modelFromConfig(config: Config): VideoModel {
  if (config.CONSENTRY_MODEL_URL) {
    return createHttpModel({
      url: config.CONSENTRY_MODEL_URL,
      token: config.CONSENTRY_MODEL_TOKEN,
      timeoutMs: config.CONSENTRY_MODEL_TIMEOUT_MS,
    });
  }
  return createLocalModel();
}
