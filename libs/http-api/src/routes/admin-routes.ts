import type { ReadModelService, RebuildTracker } from '@ifreg/query';
import type { HttpApp } from '../app';
import { errorSchema } from '../errors';

const statusSchema = { type: 'object', additionalProperties: true, properties: { running: { type: 'boolean' }, position: { type: 'integer' }, target: { type: 'integer' }, events: { type: 'integer' }, total: { type: 'integer' } } };

const snapshotSchema = { type: 'object', properties: { position: { type: 'integer' } } };

/**
 * Rebuild of the read model from position 0, aside, while this one keeps answering; a snapshot
 * of the read model now (before a planned restart), answered once written.
 */
export function registerAdminRoutes(app: HttpApp, rebuild: RebuildTracker, readModel: ReadModelService): void {
  app.post(
    '/v1/admin/snapshot',
    { schema: { tags: ['admin'], summary: 'Write a snapshot of the read model now', security: [{ bearer: [] }], response: { 200: snapshotSchema, 401: errorSchema, 403: errorSchema } } },
    async () => {
      const position = readModel.position;
      await readModel.snapshot();
      return { position };
    },
  );
  app.post(
    '/v1/admin/rebuild',
    { schema: { tags: ['admin'], summary: 'Start a rebuild of the read model (202)', security: [{ bearer: [] }], response: { 202: statusSchema, 401: errorSchema, 403: errorSchema } } },
    // Authorised by the write guard (security.ts) before it gets here.
    (_request, reply) => reply.code(202).send(rebuild.start()),
  );
  app.get('/v1/admin/rebuild', { schema: { tags: ['admin'], summary: 'Progress of the last rebuild', response: { 200: statusSchema } } }, () => rebuild.current);
}
