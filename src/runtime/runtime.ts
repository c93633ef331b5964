import path from 'node:path';
import type { Logger } from 'pino';
import { createAccountService, type AccountService } from '../accounts/account-service';
import { auditJobs } from '../audit/audit-jobs';
import type { Config } from '../config/config';
import type { Database } from '../db/database';
import { createConsentModule, type ConsentService } from '../consent';
import { createGenerationModule, type GenerationService } from '../generation';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';
import { loadSecrets, type ServiceSecrets } from '../keys/secrets';
import { createLogger } from '../observability/logger';
import { createOptoutModule, type OptoutService } from '../optout';
import { createProvenance, type Provenance } from '../provenance';
import { createBullmqQueue } from '../queue/bullmq-queue';
import { createInProcessQueue } from '../queue/in-process-queue';
import type { JobQueue } from '../queue/job-queue';
import { JobRegistry } from '../queue/job-registry';
import type { BlobStore } from '../storage/blob-store';
import { createLocalBlobStore } from '../storage/local-blob-store';
import { JOB_NAMES } from './job-names';
import type { DomainModule } from './module';
import { detectFile } from '../watermark';
import { createVerifyModule, type VerifyService } from '../verify';

/**
 * The composition root: builds every service of one process from the configuration, in
 * dependency order, with plain function calls. API and worker processes both start from here.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: Database;
  queue: JobQueue;
  registry: JobRegistry;
  blobs: BlobStore;
  secrets: ServiceSecrets;
  accounts: AccountService;
  /** C2PA signing and reading, with the service's signing identity. */
  provenance: Provenance;
  /** Verification of uploads against Content Credentials, watermark and ledger (issue 8). */
  verify: VerifyService;
  /** Cameo consent: who may appear in a clip, their rules, revocation (issue 5). */
  consent: ConsentService;
  /** The rightsholder opt-out registry's policy checks (issue 6). */
  optout: OptoutService;
  /** The guarded generation pipeline (issue 7). */
  generation: GenerationService;
  modules: DomainModule[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Injected by tests (e.g. an in-memory PGlite or a schema of their own). */
  db?: Database;
  logger?: Logger;
  migrate?: boolean;
}

export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const secrets = loadSecrets(config);
  if (secrets.generated) {
    logger.warn('using development secrets generated in the data folder; set them explicitly in production');
  }
  const db = opts.db ?? (await openDatabase(config));
  if (opts.migrate !== false) {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  const blobs = createLocalBlobStore(path.join(config.dataDir, 'blobs'));
  const accounts = createAccountService({
    db,
    tokens: {
      secret: secrets.jwtSecret,
      issuer: config.CONSENTRY_JWT_ISSUER,
      audience: config.CONSENTRY_JWT_AUDIENCE,
      ttlSeconds: config.CONSENTRY_JWT_TTL_SECONDS,
    },
  });

  const provenance = await createProvenance({
    dataDir: config.dataDir,
    certChainPath: config.CONSENTRY_C2PA_CERT_CHAIN,
    privateKeyPath: config.CONSENTRY_C2PA_PRIVATE_KEY,
    trustAnchorsPath: config.CONSENTRY_C2PA_TRUST_ANCHORS,
    maxBytes: config.CONSENTRY_UPLOAD_LIMIT_BYTES,
    logger,
  });

  const registry = new JobRegistry();
  const queue = config.REDIS_URL
    ? createBullmqQueue({
        registry,
        logger,
        redisUrl: config.REDIS_URL,
        prefix: config.CONSENTRY_QUEUE_PREFIX,
        concurrency: config.CONSENTRY_JOB_CONCURRENCY,
      })
    : createInProcessQueue({ registry, logger, concurrency: config.CONSENTRY_JOB_CONCURRENCY });

  const consent = createConsentModule({
    db,
    blobs,
    queue,
    logger,
    masterKey: secrets.masterKey,
    dataDir: config.dataDir,
    nodeEnv: config.NODE_ENV,
    accounts,
    receiptKeyPath: config.CONSENTRY_CONSENT_RECEIPT_KEY,
  });

  const optout = createOptoutModule({
    db,
    blobs,
    accounts,
    provenance,
    masterKey: secrets.masterKey,
    logger,
    rateLimitPerMinute: config.CONSENTRY_RATE_LIMIT_PER_MINUTE,
  });

  const generation = createGenerationModule({
    config,
    db,
    blobs,
    queue,
    logger,
    consent: consent.service,
    optout: optout.service,
    provenance,
    watermarkKey: secrets.watermarkKey,
  });

  const verify = createVerifyModule({
    db,
    provenance,
    detectWatermark: detectFile,
    watermarkKey: secrets.watermarkKey,
    dataDir: config.dataDir,
    uploadLimitBytes: config.CONSENTRY_UPLOAD_LIMIT_BYTES,
    rateLimitPerMinute: config.CONSENTRY_RATE_LIMIT_PER_MINUTE,
    logger,
  });

  const modules: DomainModule[] = [
    { name: 'audit', jobs: auditJobs(db) },
    optout.module,
    consent.module,
    generation.module,
    verify,
  ];

  for (const m of modules) for (const j of m.jobs ?? []) registry.register(j);
  registry.assertMatches(JOB_NAMES);

  return {
    config,
    logger,
    db,
    queue,
    registry,
    blobs,
    secrets,
    accounts,
    provenance,
    verify: verify.service,
    consent: consent.service,
    optout: optout.service,
    generation: generation.service,
    modules,
    async close() {
      await queue.close();
      for (const m of [...modules].reverse()) await m.close?.();
      if (!opts.db) await db.close();
    },
  };
}
