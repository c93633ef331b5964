/** Builds the opt-out registry of one process: its index (kept current by polling), services and routes. */
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/account-service';
import type { Database } from '../db/database';
import type { Provenance } from '../provenance';
import { detectFaces } from '../faces';
import type { DomainModule } from '../runtime/module';
import type { BlobStore } from '../storage/blob-store';
import { createEntryService, type EntryService, type FaceDetector } from './entry-service';
import { registerOptoutRoutes } from './optout-routes';
import { createPolicyService } from './policy-service';
import { createRateLimiter } from './rate-limit';
import { RegistryIndex } from './registry-index';
import { createStatsService, type StatsService } from './stats-service';
import type { OptoutService } from './types';

export interface OptoutModuleDeps {
  db: Database;
  blobs: BlobStore;
  accounts: AccountService;
  provenance: Pick<Provenance, 'read'>;
  masterKey: Buffer;
  logger: Logger;
  /** Policy checks per account per minute on POST /v1/policy/check. */
  rateLimitPerMinute: number;
  /** How often the change feed is polled (default 1000 ms; changes reach every process within ~2 polls). */
  pollMs?: number;
  /** Face descriptors of an image (default: the shared face module's detectFaces). */
  detectFaces?: FaceDetector;
}

export interface OptoutModule {
  service: OptoutService;
  module: DomainModule;
  entries: EntryService;
  stats: StatsService;
  index: RegistryIndex;
}

export function createOptoutModule(deps: OptoutModuleDeps): OptoutModule {
  const faces: FaceDetector = deps.detectFaces ?? ((bytes) => detectFaces(bytes));
  const index = new RegistryIndex({
    db: deps.db,
    masterKey: deps.masterKey,
    logger: deps.logger,
    pollMs: deps.pollMs,
  });
  index.start();
  const entries = createEntryService({
    db: deps.db,
    blobs: deps.blobs,
    accounts: deps.accounts,
    index,
    masterKey: deps.masterKey,
    detectFaces: faces,
  });
  const stats = createStatsService({ db: deps.db, masterKey: deps.masterKey });
  const policy = createPolicyService({
    db: deps.db,
    index,
    provenance: deps.provenance,
    masterKey: deps.masterKey,
    detectFaces: faces,
    logger: deps.logger,
  });
  const rateLimit = createRateLimiter({ db: deps.db, perMinute: deps.rateLimitPerMinute });
  const service: OptoutService = {
    checkPrompt: (p, c) => policy.checkPrompt(p, c),
    checkReferenceImages: (i, c) => policy.checkReferenceImages(i, c),
    checkOutputFrames: (f, c) => policy.checkOutputFrames(f, c),
  };
  return {
    service,
    entries,
    stats,
    index,
    module: {
      name: 'optout',
      routes: (api) => registerOptoutRoutes(api, { entries, stats, policy: service, rateLimit }),
      close: () => index.close(),
    },
  };
}
