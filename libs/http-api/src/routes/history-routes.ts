import type { FastifyRequest } from 'fastify';
import { luidHex, luidName, parseLuid } from '@ifreg/domain';
import { readHistoryPage } from '@ifreg/query';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';
import { Scope, s } from '../schema';
import { ReadOptions, caughtUp, type ReadQuery } from './query-routes';

type HistoryQuery = ReadQuery & { after?: number; limit?: number };
type HistoryRequest = FastifyRequest<{ Params: { scope: string; luid: string }; Querystring: HistoryQuery }>;

const itemSchema = s.object(
  { position: s.integer(), revision: s.integer(), type: s.string(), recordedAt: s.string(), event: { type: 'object', additionalProperties: true } },
  ['position', 'revision', 'type', 'recordedAt', 'event'],
);

/** GET /v1/scopes/{scope}/luids/{luid}/history: one LUID's events in its scope, with their positions. */
export function registerHistoryRoutes(app: HttpApp, deps: HttpApiDeps): void {
  app.get(
    '/v1/scopes/:scope/luids/:luid/history',
    {
      schema: {
        tags: ['interfaces'],
        summary: "One NET_LUID's events in its scope (registered, redetected, deregistered, failed, NetLuidIndex), oldest first, paged",
        description:
          'Each item is the recorded event with its store position (use it as asOf on the interface list). The newest 100 events of a LUID are kept; `complete` is false when older ones were dropped.',
        params: s.object({ scope: Scope, luid: s.string({ maxLength: 40 }) }, ['scope', 'luid']),
        querystring: s.object({
          ...ReadOptions,
          after: s.integer({ minimum: 0, description: 'paging: only events after this position (the `next` of the previous page)' }),
          limit: s.integer({ minimum: 1, maximum: 100, description: 'events per page (default 50)' }),
        }),
        response: {
          200: s.object(
            {
              scope: s.string(),
              luid: s.object({ ifType: s.integer(), netLuidIndex: s.integer(), value: s.string(), name: s.string() }),
              position: s.integer(),
              complete: s.boolean(),
              items: { type: 'array', items: itemSchema },
              next: s.integer(),
            },
            ['scope', 'luid', 'position', 'complete', 'items'],
          ),
          400: errorSchema,
          404: errorSchema,
          504: errorSchema,
        },
      },
    },
    async (request: HistoryRequest, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const { scope, luid: text } = request.params;
      if (!deps.readModel.model.scopes.has(scope)) return sendError(reply, 404, 'ScopeNotFound', `scope ${scope} has no recorded events`);
      const luid = parseLuid(text);
      if (!luid.ok) return sendError(reply, 400, 'InvalidLuid', luid.reason);
      // Position and index read in one tick: the index holds every event up to that position.
      const position = deps.readModel.position;
      const value = luidHex(luid.value);
      const kept = deps.readModel.luidPositions(scope, luid.value);
      const page = await readHistoryPage(deps.store, scope, kept.positions, request.query.after ?? 0, request.query.limit ?? 50);
      return { scope, luid: { ...luid.value, value, name: luidName(luid.value) }, position, complete: kept.complete, ...page };
    },
  );
}
