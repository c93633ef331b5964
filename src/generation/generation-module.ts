import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { ConsentService } from '../consent';
import type { Database } from '../db/database';
import { modelFromConfig, type VideoModel } from '../models';
import type { OptoutService } from '../optout';
import type { Provenance } from '../provenance';
import type { JobQueue } from '../queue/job-queue';
import type { DomainModule } from '../runtime/module';
import type { BlobStore } from '../storage/blob-store';
import { generationJobs } from './generation-jobs';
import { registerGenerationRoutes } from './generation-routes';
import { createGenerationService, type GenerationService } from './generation-service';
import { createPipeline } from './pipeline';
import { createStageHold } from './stage-hold';

export interface GenerationModuleDeps {
  config: Config;
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  logger: Logger;
  consent: ConsentService;
  optout: OptoutService;
  provenance: Provenance;
  watermarkKey: Buffer;
  /** Defaults to the configured model (CONSENTRY_MODEL_URL, else the built-in one). */
  model?: VideoModel;
  onTimings?: (id: string, t: Record<string, number>) => void;
}

export function createGenerationModule(deps: GenerationModuleDeps): {
  service: GenerationService;
  module: DomainModule;
} {
  const service = createGenerationService(deps);
  const pipeline = createPipeline({
    ...deps,
    model: deps.model ?? modelFromConfig(deps.config),
    hold: createStageHold(deps.config.NODE_ENV),
  });
  deps.consent.onRevoked((cameoId) => service.onCameoRevoked(cameoId).then(() => undefined));
  return {
    service,
    module: {
      name: 'generation',
      routes: (api) => registerGenerationRoutes(api, service),
      jobs: generationJobs({ pipeline, service, queue: deps.queue }),
    },
  };
}
