import { Command } from 'commander';
import { ZodError } from 'zod';
import { SERVICE_VERSION } from '../version';
import { registerAdminCommands } from './admin-commands';
import { registerServerCommands } from './server-commands';
import { registerVerifyCommands } from '../verify/verify-cli';
import { registerWatermarkCommands } from '../watermark';
import { loadSecrets } from '../keys/secrets';
import { loadConfigOrExit } from './runtime-command';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('consentry')
    .description('Consent-first provenance service for generated video')
    .version(SERVICE_VERSION);
  registerServerCommands(program);
  registerAdminCommands(program);
  registerVerifyCommands(program);
  // The watermark key is the service secret: configured, or the development one in DATA_DIR.
  registerWatermarkCommands(program, async () => loadSecrets(loadConfigOrExit()).watermarkKey);
  return program;
}

if (require.main === module || process.argv[1]?.endsWith('consentry.js')) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      const msg = e instanceof ZodError ? e.issues.map((i) => i.message).join('; ') : (e as Error).message;
      process.stderr.write(`consentry: ${msg}\n`);
      process.exit(1);
    });
}
