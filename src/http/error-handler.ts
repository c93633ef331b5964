import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { isAppError } from './errors';

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

function zodMessage(e: ZodError): { message: string; fields: { path: string; message: string }[] } {
  const fields = e.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message:
      i.code === 'unrecognized_keys'
        ? `Unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
        : i.message,
  }));
  const first = fields[0];
  const where =
    e.issues[0]?.code === 'unrecognized_keys' ? '' : first.path === '(body)' ? '' : `Field "${first.path}": `;
  return { message: `${where}${first.message}.`, fields };
}

/** The one place errors become HTTP responses. Unknown errors are a 500 that names only the request id. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.locals.requestId ?? 'unknown');
    if (res.headersSent) {
      res.end();
      return;
    }
    const { status, body } = errorBody(err, requestId, logger);
    res.status(status).json(body);
  };
}

/**
 * The status and body an error becomes; also used by responses that stream progress and must put
 * a late error in the stream because their status line is already sent.
 */
export function errorBody(
  err: unknown,
  requestId: string,
  logger: { error(obj: object, msg?: string): void },
): { status: number; body: ErrorBody } {
  const out = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
    status,
    body: { error: { code, message, requestId, ...(details ? { details } : {}) } },
  });
  if (err instanceof ZodError) {
    const { message, fields } = zodMessage(err);
    return out(400, 'invalid_request', message, { fields });
  }
  if (isAppError(err)) {
    if (err.status >= 500) logger.error({ requestId, code: err.code }, err.message);
    return out(err.status, err.code, err.message, err.details);
  }
  const e = err as { type?: string; status?: number; expose?: boolean };
  if (e?.type === 'entity.too.large')
    return out(413, 'body_too_large', 'The request body is larger than this route accepts.');
  if (e?.type === 'entity.parse.failed')
    return out(400, 'invalid_json', 'The request body is not valid JSON.');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return out(415, 'unsupported_encoding', 'The request body uses an unsupported encoding.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose)
    return out(e.status, 'bad_request', 'The request could not be read.');
  logger.error({ requestId, err }, 'unhandled error');
  return out(
    500,
    'internal_error',
    'Something went wrong on our side; quote the request id if you report it.',
  );
}
