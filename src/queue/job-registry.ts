import type { Logger } from 'pino';
import type { ZodType } from 'zod';

export interface JobContext {
  jobId: string;
  /** 1 on the first run, 2 on the first retry... */
  attempt: number;
  maxAttempts: number;
  log: Logger;
}

export interface JobDefinition<P = any> {
  name: string;
  /** The payload is parsed with this when the job is consumed, not only when it is enqueued. */
  schema: ZodType<P>;
  handler: (payload: P, ctx: JobContext) => Promise<void>;
  attempts?: number;
  backoffMs?: number;
}

/** Thrown by a handler for a failure that retrying cannot fix (the job fails at once). */
export class PermanentJobError extends Error {}

export class JobRegistry {
  private readonly defs = new Map<string, JobDefinition>();

  register<P>(def: JobDefinition<P>): this {
    if (this.defs.has(def.name)) throw new Error(`Two handlers are registered for the job "${def.name}".`);
    this.defs.set(def.name, def as JobDefinition);
    return this;
  }

  get(name: string): JobDefinition | undefined {
    return this.defs.get(name);
  }

  names(): string[] {
    return [...this.defs.keys()];
  }

  /** Startup refuses a registry that lacks a handler for a declared job, or holds an undeclared one. */
  assertMatches(declared: readonly string[]): void {
    const missing = declared.filter((n) => !this.defs.has(n));
    if (missing.length) throw new Error(`No handler is registered for the job ${missing.join(', ')}.`);
    const extra = this.names().filter((n) => !declared.includes(n));
    if (extra.length)
      throw new Error(`The job ${extra.join(', ')} has a handler but is not declared in JOB_NAMES.`);
  }
}

export function jobAttempts(def: JobDefinition): number {
  return def.attempts ?? 3;
}
export function jobBackoffMs(def: JobDefinition): number {
  return def.backoffMs ?? 1000;
}
