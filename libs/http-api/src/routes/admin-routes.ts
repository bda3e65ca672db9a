import type { RebuildTracker } from '@ifreg/query';
import type { HttpApp } from '../app';
import { errorSchema } from '../errors';

const statusSchema = { type: 'object', additionalProperties: true, properties: { running: { type: 'boolean' }, position: { type: 'integer' }, target: { type: 'integer' }, events: { type: 'integer' }, total: { type: 'integer' } } };

/** Rebuild of the read model from position 0, aside, while this one keeps answering. */
export function registerAdminRoutes(app: HttpApp, rebuild: RebuildTracker): void {
  app.post(
    '/v1/admin/rebuild',
    { schema: { tags: ['admin'], summary: 'Start a rebuild of the read model (202)', security: [{ bearer: [] }], response: { 202: statusSchema, 401: errorSchema, 403: errorSchema } } },
    // Authorised by the write guard (security.ts) before it gets here.
    (_request, reply) => reply.code(202).send(rebuild.start()),
  );
  app.get('/v1/admin/rebuild', { schema: { tags: ['admin'], summary: 'Progress of the last rebuild', response: { 200: statusSchema } } }, () => rebuild.current);
}
