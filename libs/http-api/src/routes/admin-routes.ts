import type { RebuildTracker } from '@ifreg/query';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { writeRefusal } from '../auth';
import { errorSchema, sendError } from '../errors';

const statusSchema = { type: 'object', additionalProperties: true, properties: { running: { type: 'boolean' }, position: { type: 'integer' }, target: { type: 'integer' } } };

/** Rebuild of the read model from position 0, aside, while this one keeps answering. */
export function registerAdminRoutes(app: HttpApp, deps: HttpApiDeps, rebuild: RebuildTracker): void {
  app.post(
    '/v1/admin/rebuild',
    { schema: { tags: ['admin'], summary: 'Start a rebuild of the read model (202)', security: [{ bearer: [] }], response: { 202: statusSchema, 401: errorSchema } } },
    (request, reply) => {
      const refusal = writeRefusal(request, deps.token);
      if (refusal) return sendError(reply, 401, 'Unauthorized', refusal);
      return reply.code(202).send(rebuild.start());
    },
  );
  app.get('/v1/admin/rebuild', { schema: { tags: ['admin'], summary: 'Progress of the last rebuild', response: { 200: statusSchema } } }, () => rebuild.current);
}
