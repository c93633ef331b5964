/**
 * The one error hierarchy of the service. Domains throw these; the HTTP error handler maps them
 * to status codes, CLIs to exit codes. `code` is machine-readable, `message` a human sentence.
 */
export class AppError extends Error {
  readonly status: number = 500;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends AppError {
  override readonly status = 400;
}
export class Unauthenticated extends AppError {
  override readonly status = 401;
}
export class Forbidden extends AppError {
  override readonly status = 403;
}
export class NotFound extends AppError {
  override readonly status = 404;
}
export class Conflict extends AppError {
  override readonly status = 409;
}
export class Gone extends AppError {
  override readonly status = 410;
}
export class PayloadTooLarge extends AppError {
  override readonly status = 413;
}
export class UnsupportedMedia extends AppError {
  override readonly status = 415;
}
/** A request that is well formed but refused by a content or consent rule. */
export class PolicyRefusal extends AppError {
  override readonly status = 422;
}
export class RateLimited extends AppError {
  override readonly status = 429;
}
export class Unavailable extends AppError {
  override readonly status = 503;
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
