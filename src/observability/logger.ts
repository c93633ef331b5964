import pino, { type Logger } from 'pino';

/** Structured logs. Redaction is a second line of defence: code never logs tokens, passwords or templates. */
export function createLogger(level: string, opts: { toStderr?: boolean } = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'consentry' },
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'accessToken',
          '*.accessToken',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'req.headers.cookie',
          '*.faceTemplate',
          '*.voiceTemplate',
          '*.descriptor',
        ],
        censor: '[redacted]',
      },
    },
    // One-shot commands keep stdout for their own output (e.g. --json).
    opts.toStderr ? pino.destination(2) : pino.destination(1),
  );
}
