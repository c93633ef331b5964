import express, { type Request, type Response, type Router } from 'express';
import { z, type ZodType } from 'zod';
import type { AuthContext } from '../accounts/account-service';
import type { Role } from '../accounts/roles';
import { Forbidden } from './errors';

export type AuthRequirement = null | 'any' | readonly Role[];

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. /v1/accounts/:id */
  path: string;
  summary: string;
  tags?: string[];
  /** null: public; 'any': any signed-in account; a list: the account must hold one of these roles. */
  auth: AuthRequirement;
  body?: ZodType;
  query?: ZodType;
  params?: ZodType;
  /** Responses are parsed through this schema, so fields it does not name never leave the service. */
  response?: ZodType;
  status?: number;
  /** For uploads and other bodies the route reads itself. */
  rawBody?: { contentTypes: string[]; description: string };
  /** For responses that are not JSON (files, event streams). */
  rawResponse?: { contentType: string; description: string };
}

export interface RouteContext<B = any, Q = any, P = any> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: P;
  auth: AuthContext | null;
  requestId: string;
}

export type RouteHandler = (ctx: RouteContext) => Promise<unknown>;

export interface Authenticator {
  authenticate(token: string | undefined, meta: { path: string }): Promise<AuthContext>;
  auditForbidden(ctx: AuthContext, needed: readonly Role[], path: string): Promise<void>;
}

/** A router that validates, authorises and serialises every route the same way, and records it for OpenAPI. */
export function createApiRouter(auth: Authenticator) {
  const router: Router = express.Router();
  const specs: RouteSpec[] = [];

  function bearer(req: Request): string | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : '';
  }

  function route(spec: RouteSpec, handler: RouteHandler): void {
    specs.push(spec);
    router[spec.method](spec.path, async (req: Request, res: Response) => {
      let ctxAuth: AuthContext | null = null;
      if (spec.auth !== null) {
        ctxAuth = await auth.authenticate(bearer(req), { path: req.path });
        if (spec.auth !== 'any' && !spec.auth.some((r) => ctxAuth!.roles.includes(r))) {
          await auth.auditForbidden(ctxAuth, spec.auth, req.path);
          throw new Forbidden('missing_role', `This needs the role ${spec.auth.join(' or ')}.`);
        }
      }
      const body = spec.body ? spec.body.parse(req.body ?? {}) : undefined;
      const query = spec.query ? spec.query.parse({ ...(req.query as object) }) : undefined;
      const params = spec.params ? spec.params.parse({ ...req.params }) : undefined;
      const out = await handler({
        req,
        res,
        body,
        query,
        params,
        auth: ctxAuth,
        requestId: String(res.locals.requestId),
      });
      if (res.headersSent || spec.rawResponse) return;
      const status = spec.status ?? 200;
      if (status === 204) {
        res.status(204).end();
        return;
      }
      res.status(status).json(spec.response ? spec.response.parse(out) : out);
    });
  }

  return { router, specs, route };
}

export const idParams = z.strictObject({ id: z.string().uuid() });
