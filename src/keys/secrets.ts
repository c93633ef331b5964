import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/config';

/**
 * The service's own secrets: the JWT key, the master key that wraps per-record data keys, and
 * the watermark key. Configured values win; otherwise (development) they are created once in the
 * data folder with mode 0600 so every process sharing that folder agrees on them.
 */
export interface ServiceSecrets {
  jwtSecret: string;
  masterKey: Buffer;
  watermarkKey: Buffer;
  generated: boolean;
}

const fileSchema = z.object({ jwtSecret: z.string(), masterKey: z.string(), watermarkKey: z.string() });

export function loadSecrets(config: Config): ServiceSecrets {
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: z.infer<typeof fileSchema> | null = null;
  const allConfigured =
    config.CONSENTRY_JWT_SECRET && config.CONSENTRY_MASTER_KEY && config.CONSENTRY_WATERMARK_KEY;
  if (config.NODE_ENV === 'production' && !config.CONSENTRY_CONSENT_RECEIPT_KEY) {
    throw new Error(
      'In production CONSENTRY_CONSENT_RECEIPT_KEY must name the EC P-256 key that signs consent receipts, so every host publishes the same key.',
    );
  }
  if (!allConfigured) {
    if (config.NODE_ENV === 'production') {
      throw new Error(
        'In production CONSENTRY_JWT_SECRET, CONSENTRY_MASTER_KEY and CONSENTRY_WATERMARK_KEY must be set: every API and worker process has to share them.',
      );
    }
    fs.mkdirSync(config.dataDir, { recursive: true });
    if (fs.existsSync(file)) {
      stored = fileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    } else {
      stored = {
        jwtSecret: crypto.randomBytes(32).toString('hex'),
        masterKey: crypto.randomBytes(32).toString('hex'),
        watermarkKey: crypto.randomBytes(32).toString('hex'),
      };
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(stored), { mode: 0o600 });
      try {
        fs.linkSync(tmp, file); // fails if another process won the race: then use theirs
      } catch {
        stored = fileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
  }
  return {
    jwtSecret: config.CONSENTRY_JWT_SECRET ?? stored!.jwtSecret,
    masterKey: Buffer.from(config.CONSENTRY_MASTER_KEY ?? stored!.masterKey, 'hex'),
    watermarkKey: Buffer.from(config.CONSENTRY_WATERMARK_KEY ?? stored!.watermarkKey, 'hex'),
    generated: !allConfigured,
  };
}
