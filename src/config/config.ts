import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the service reads, parsed once at start. Unprefixed names follow common
 * convention (PORT, DATABASE_URL...); the rest carry the CONSENTRY_ prefix so that a misspelt
 * setting is caught instead of silently ignored.
 */
const intFromEnv = (def: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

const boolFromEnv = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const hex32 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters (32 bytes)')
  .optional();

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intFromEnv(8080, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONSENTRY_PUBLIC_URL: z.string().url().optional(),
  CONSENTRY_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CONSENTRY_JWT_ISSUER: z.string().min(1).default('consentry'),
  CONSENTRY_JWT_AUDIENCE: z.string().min(1).default('consentry-api'),
  CONSENTRY_JWT_TTL_SECONDS: intFromEnv(900, 30, 86400),
  CONSENTRY_MASTER_KEY: hex32,
  CONSENTRY_WATERMARK_KEY: hex32,
  CONSENTRY_BODY_LIMIT_BYTES: intFromEnv(256 * 1024, 1024, 16 * 1024 * 1024),
  CONSENTRY_UPLOAD_LIMIT_BYTES: intFromEnv(200 * 1024 * 1024, 1024),
  CONSENTRY_C2PA_CERT_CHAIN: z.string().optional(),
  CONSENTRY_C2PA_PRIVATE_KEY: z.string().optional(),
  CONSENTRY_C2PA_TRUST_ANCHORS: z.string().optional(),
  CONSENTRY_CONSENT_RECEIPT_KEY: z.string().optional(),
  CONSENTRY_JOB_CONCURRENCY: intFromEnv(2, 1, 64),
  CONSENTRY_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/)
    .default('consentry'),
  CONSENTRY_RUN_JOBS_IN_API: boolFromEnv(false),
  CONSENTRY_MODEL_URL: z.string().url().optional(),
  CONSENTRY_MODEL_TOKEN: z.string().optional(),
  CONSENTRY_MODEL_TIMEOUT_MS: intFromEnv(120000, 1000),
  CONSENTRY_RATE_LIMIT_PER_MINUTE: intFromEnv(60, 1),
  FFMPEG_PATH: z.string().optional(),
  FFPROBE_PATH: z.string().optional(),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  dataDir: string;
}

export class ConfigError extends Error {}

/** Parses the environment; an unknown CONSENTRY_* name or an invalid value stops the start with a sentence naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = new Set(Object.keys(configSchema.shape));
  const unknown = Object.keys(env).filter((k) => k.startsWith('CONSENTRY_') && !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown setting ${unknown.join(', ')}: check the spelling against the configuration table in the README.`,
    );
  }
  const picked: Record<string, string> = {};
  for (const k of known) {
    const v = env[k];
    if (v !== undefined && v !== '') picked[k] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(`Setting ${name} is invalid: ${issue.message}.`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
