import path from 'node:path';
import type { Database } from '../db/database';
import type { Provenance } from '../provenance';
import type { DomainModule } from '../runtime/module';
import { createRateLimiter } from './rate-limit';
import { registerVerifyRoutes } from './verify-routes';
import { createVerifyService, type DetectWatermark, type VerifyService } from './verify-service';

export interface VerifyModuleDeps {
  db: Database;
  provenance: Provenance;
  detectWatermark: DetectWatermark;
  watermarkKey: Buffer;
  dataDir: string;
  uploadLimitBytes: number;
  rateLimitPerMinute: number;
  logger?: { warn(o: unknown, m?: string): void; error(o: unknown, m?: string): void };
}

export function createVerifyModule(deps: VerifyModuleDeps): DomainModule & { service: VerifyService } {
  const service = createVerifyService({
    db: deps.db,
    provenance: deps.provenance,
    detectWatermark: deps.detectWatermark,
    watermarkKey: deps.watermarkKey,
    maxBytes: deps.uploadLimitBytes,
    logger: deps.logger,
  });
  const rateLimit = createRateLimiter(deps.db, deps.rateLimitPerMinute);
  return {
    name: 'verify',
    service,
    routes(api) {
      registerVerifyRoutes(api, {
        service,
        rateLimit,
        tmpDir: path.join(deps.dataDir, 'tmp', 'verify'),
        uploadLimitBytes: deps.uploadLimitBytes,
        logger: deps.logger ?? { error: () => undefined },
      });
    },
  };
}
