import type { Registry } from '@ifreg/platform';
import type { HttpApp } from '../app';

export interface HealthDeps {
  readonly metrics: Registry;
  /** Ready = able to do its job now (read model caught up, consumer joined its group…). */
  readonly isReady: () => boolean;
  /** Extra facts shown by /readyz, e.g. the read model position. */
  readonly status?: () => Record<string, unknown>;
}

export function registerHealthRoutes(app: HttpApp, deps: HealthDeps): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness' } }, (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', ...deps.status?.() });
  });
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
}
