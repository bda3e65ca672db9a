import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';

export function registerHealthRoutes(app: HttpApp, deps: HttpApiDeps): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], summary: 'Ready once the read model has caught up' } }, (_request, reply) => {
    const ready = deps.readModel.ready && (deps.isReady?.() ?? true);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'catching-up', position: deps.readModel.position });
  });
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
}
