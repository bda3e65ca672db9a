import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import { metric, type Logger, type Registry } from '@ifreg/platform';
import type { HttpApiDeps } from './deps';
import { registerHealthRoutes, type HealthDeps } from './routes/health-routes';
import { registerIngestRoutes } from './routes/ingest-routes';
import { registerQueryRoutes } from './routes/query-routes';
import { registerWatchRoutes } from './routes/watch-routes';
import { registerConvertRoutes } from './routes/convert-routes';
import { registerAdminRoutes } from './routes/admin-routes';
import { registerHistoryRoutes } from './routes/history-routes';
import { registerPageRoutes } from './routes/page-routes';
import { clientErrorHandler, defaultHttpLimits, guardWrites, type HttpLimits } from './security';
import { registerObjectRoutes } from './objects/object-routes';
import { registerProviderStream } from './objects/provider-stream';

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>;

/** The HTTP API of DESIGN.md §2.9 on fastify, with its OpenAPI document at /openapi.json and the live web page at /. */
export async function buildHttpApi(deps: HttpApiDeps): Promise<HttpApp> {
  const app = await baseApp(deps.log, deps.metrics, deps.token, deps.limits ?? defaultHttpLimits);
  registerHealthRoutes(app, {
    metrics: deps.metrics,
    isReady: () => deps.readModel.ready && (deps.isReady?.() ?? true),
    status: () => ({ position: deps.readModel.position }),
  });
  registerQueryRoutes(app, deps);
  registerConvertRoutes(app, deps);
  registerWatchRoutes(app, deps);
  registerHistoryRoutes(app, deps);
  registerPageRoutes(app);
  if (deps.ingest) registerIngestRoutes(app, deps, deps.ingest);
  if (deps.rebuild) registerAdminRoutes(app, deps.rebuild, deps.readModel);
  if (deps.objects) {
    await registerProviderStream(app, deps.objects, deps.token);
    registerObjectRoutes(app, deps, deps.objects);
  }
  return app;
}

/**
 * Health, readiness and metrics only: for services that serve no queries (the registrar).
 * It has no writes; any other method is refused as a write would be without a token.
 */
export async function buildOpsServer(log: Logger, health: HealthDeps, limits: HttpLimits = defaultHttpLimits): Promise<HttpApp> {
  const app = await baseApp(log, health.metrics, undefined, limits);
  registerHealthRoutes(app, health);
  return app;
}

/** Fastify with OpenAPI, request metrics, JSON error answers, the write guard and the size limits. */
async function baseApp(log: Logger, metrics: Registry, token: string | undefined, limits: HttpLimits): Promise<HttpApp> {
  const logger = log.child({ component: 'http' }) as FastifyBaseLogger;
  const app = fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: with redaction on, pino's child() is a noticeable part of a
    // GET (services/bench/README.md), for lines that are rare (request logging is off); those name the reqId.
    childLoggerFactory: (parent) => parent,
    bodyLimit: limits.bodyLimit,
    http: { maxHeaderSize: limits.maxHeaderSize },
    clientErrorHandler: clientErrorHandler(limits),
  });
  guardWrites(app, token);
  await app.register(swagger, {
    openapi: {
      info: { title: 'ifreg', description: 'Event-sourced network interface registry (NDIS-style)', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const requests = metric.counter(metrics, 'ifreg_http_requests_total', 'HTTP requests by route and status', ['method', 'route', 'status']);
  const duration = metric.histogram(metrics, 'ifreg_http_request_duration_seconds', 'HTTP request duration', ['method', 'route']);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string; validation?: unknown }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error, reqId: request.id, route: request.routeOptions.url }, 'request failed');
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'PayloadTooLarge', reason: `the request body is larger than ${limits.bodyLimit} bytes` });
    }
    const code = status >= 500 ? 'InternalError' : status === 415 ? 'UnsupportedMediaType' : 'BadRequest';
    return reply.code(status).send({ error: code, reason: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'NotFound', reason: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
  );

  return app;
}
