import { ConfigError, loadConfig, type Config } from '../config/config';
import { createLogger } from '../observability/logger';
import { createRuntime, type Runtime } from '../runtime/runtime';

/** Loads configuration and a runtime for a one-shot command, printing a sentence (not a stack) on failure. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  opts: { logLevel?: string } = {},
): Promise<T> {
  const config = loadConfigOrExit();
  const rt = await createRuntime(config, {
    logger: createLogger(opts.logLevel ?? 'warn', { toStderr: true }),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`consentry: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
