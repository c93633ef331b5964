import type { Logger } from 'pino';
import type { AccountView } from '../accounts/account-schemas';
import type { Database } from '../db/database';
import type { JobQueue } from '../queue/job-queue';
import type { DomainModule } from '../runtime/module';
import type { BlobStore } from '../storage/blob-store';
import { analyseRecording } from './analysis';
import { createCameoService } from './cameo-service';
import type { ChallengeGenerator } from './challenge';
import { consentJobs } from './consent-jobs';
import { registerConsentRoutes } from './consent-routes';
import type { ConsentService } from './consent-types';
import { registerCapturePage } from './capture-page';
import { createEnrollmentService, type Analyse } from './enrollment-service';
import { loadReceiptKeys } from './receipt';

export interface ConsentModuleDeps {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  logger: Logger;
  masterKey: Buffer;
  dataDir: string;
  nodeEnv: 'development' | 'production' | 'test';
  accounts: { findByHandle(handle: string): Promise<AccountView | null> };
  /** A PEM file with the EC P-256 key that signs consent receipts; default: made once in the data folder. */
  receiptKeyPath?: string;
  analyse?: Analyse;
}

/** Lets a test fix the challenge (only when NODE_ENV=test): see test-seam.ts. */
const challengeSeams = new WeakMap<ConsentService, (g: ChallengeGenerator | undefined) => void>();

export function challengeSeamOf(
  service: ConsentService,
): ((g: ChallengeGenerator | undefined) => void) | undefined {
  return challengeSeams.get(service);
}

export function createConsentModule(deps: ConsentModuleDeps): {
  service: ConsentService;
  module: DomainModule;
} {
  const receiptKeys = loadReceiptKeys({ dataDir: deps.dataDir, privateKeyPath: deps.receiptKeyPath });
  const logger = deps.logger.child({ domain: 'consent' });
  const enrollments = createEnrollmentService({
    db: deps.db,
    blobs: deps.blobs,
    queue: deps.queue,
    masterKey: deps.masterKey,
    receiptKeys,
    logger,
    analyse: deps.analyse ?? ((p, c) => analyseRecording(p, c)),
  });
  const cameos = createCameoService({
    db: deps.db,
    masterKey: deps.masterKey,
    logger,
    accounts: deps.accounts,
  });
  if (deps.nodeEnv === 'test')
    challengeSeams.set(cameos.service, (g) => enrollments.setChallengeGenerator(g));
  return {
    service: cameos.service,
    module: {
      name: 'consent',
      jobs: consentJobs(enrollments),
      routes(api) {
        registerConsentRoutes(api, { enrollments, cameos, receiptKeys });
        registerCapturePage(api);
      },
    },
  };
}
