import crypto from 'node:crypto';
import express, { type Express } from 'express';
import { registerAccountRoutes } from '../accounts/account-routes';
import { registerAuditRoutes } from '../audit/audit-routes';
import { NotFound } from './errors';
import { errorHandler } from './error-handler';
import { buildOpenApi } from './openapi';
import { createApiRouter } from './route';
import { httpDuration, metricsRegistry } from '../observability/metrics';
import type { Runtime } from '../runtime/runtime';
import { SERVICE_VERSION } from '../version';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createApp(rt: Runtime): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      // Path and status only: query strings, headers and bodies may carry tokens or personal data.
      rt.logger.info(
        { requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) },
        'request',
      );
    });
    next();
  });

  app.use(express.json({ limit: rt.config.CONSENTRY_BODY_LIMIT_BYTES, strict: true }));

  const api = createApiRouter(rt.accounts);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [db, queue] = await Promise.all([
      rt.db.query('select 1').then(
        () => true,
        () => false,
      ),
      rt.queue.ping(),
    ]);
    res.status(db && queue ? 200 : 503).json({ status: db && queue ? 'ready' : 'not_ready', db, queue });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApi(api.specs, { title: 'consentry', version: SERVICE_VERSION }));
  });

  registerAccountRoutes(api, rt.accounts);
  registerAuditRoutes(api, rt.db);
  for (const m of rt.modules) m.routes?.(api);
  app.use(api.router);

  app.use(() => {
    throw new NotFound('route_not_found', 'There is no such route.');
  });
  app.use(errorHandler(rt.logger));
  return app;
}
