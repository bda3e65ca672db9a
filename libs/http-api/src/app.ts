import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import { metric } from '@ifreg/platform';
import type { HttpApiDeps } from './deps';
import { registerHealthRoutes } from './routes/health-routes';
import { registerIngestRoutes } from './routes/ingest-routes';
import { registerQueryRoutes } from './routes/query-routes';

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>;

/** The HTTP API of DESIGN.md §2.9 on fastify, with its OpenAPI document at /openapi.json. */
export async function buildHttpApi(deps: HttpApiDeps): Promise<HttpApp> {
  const logger = deps.log.child({ component: 'http' }) as FastifyBaseLogger;
  const app = fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ifreg', description: 'Event-sourced network interface registry (NDIS-style)', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const requests = metric.counter(deps.metrics, 'ifreg_http_requests_total', 'HTTP requests by route and status', ['method', 'route', 'status']);
  const duration = metric.histogram(deps.metrics, 'ifreg_http_request_duration_seconds', 'HTTP request duration', ['method', 'route']);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((error: { statusCode?: number; message: string; validation?: unknown }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: status >= 500 ? 'InternalError' : 'BadRequest', reason: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'NotFound', reason: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
  );

  registerHealthRoutes(app, deps);
  registerQueryRoutes(app, deps);
  registerIngestRoutes(app, deps);
  return app;
}
