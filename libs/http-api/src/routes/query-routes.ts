import type { FastifyReply, FastifyRequest } from 'fastify';
import { Scope, s } from '../schema';
import type { InterfaceView, ScopeView } from '@ifreg/domain';
import { PositionTimeoutError, SerializedLists, findByLuid, listInterfaces, pageScopes, scopeAsOf } from '@ifreg/query';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';

export const ReadOptions = {
  minPosition: s.integer({ minimum: 0, description: 'wait until the read model reached this store position' }),
  timeoutMs: s.integer({ minimum: 0, maximum: 60000, description: 'bound of the minPosition wait (default 5000)' }),
};
const ScopeParams = s.object({ scope: Scope }, ['scope']);
const tags = ['interfaces'];
const errors = { 400: errorSchema, 404: errorSchema, 504: errorSchema };

export type ReadQuery = { minPosition?: number; timeoutMs?: number };
type Req<P, Q> = FastifyRequest<{ Params: P; Querystring: Q }>;

/** Read-your-writes: answer only once the model reflects `minPosition`, or 504. */
export async function caughtUp(deps: HttpApiDeps, query: ReadQuery, reply: FastifyReply): Promise<boolean> {
  if (query.minPosition === undefined) return true;
  try {
    await deps.readModel.waitFor(query.minPosition, Math.min(query.timeoutMs ?? 5000, deps.maxWaitMs));
    return true;
  } catch (error) {
    if (!(error instanceof PositionTimeoutError)) throw error;
    sendError(reply, 504, 'PositionNotReached', error.message, { position: error.reached });
    return false;
  }
}

/** A body serialised here (the same bytes fastify's JSON.stringify would send). */
const sendJson = (reply: FastifyReply, json: string | Buffer): FastifyReply => reply.type('application/json; charset=utf-8').send(json);

function scopeOr404(deps: HttpApiDeps, scope: string, reply: FastifyReply): ScopeView | undefined {
  const view = deps.readModel.model.scopes.get(scope);
  if (!view) sendError(reply, 404, 'ScopeNotFound', `scope ${scope} has no recorded events`);
  return view;
}

export function registerQueryRoutes(app: HttpApp, deps: HttpApiDeps): void {
  const position = () => deps.readModel.position;
  const lists = new SerializedLists();
  // The same bytes as JSON.stringify({ scope, position, ...item }), the item's part from `lists`.
  const one = (reply: FastifyReply, view: ScopeView, item: InterfaceView | undefined, what: string) =>
    item
      ? sendJson(reply, lists.itemWith(`"scope":${JSON.stringify(view.scope)},"position":${position()}`, item))
      : sendError(reply, 404, 'InterfaceNotFound', `${what} is not registered in scope ${view.scope}`);

  const ScopesQuery = s.object({
    ...ReadOptions,
    name: s.string({ maxLength: 64, description: 'only scopes whose name contains this (case-insensitive)' }),
    scope: { ...Scope, description: 'exactly this scope: zero or one item' },
    after: s.string({ maxLength: 64, description: 'paging: only scopes sorted after this name (the `next` of the previous page)' }),
    limit: s.integer({ minimum: 1, maximum: 1000 }),
  });
  type ScopesQuery = ReadQuery & { name?: string; scope?: string; after?: string; limit?: number };
  app.get(
    '/v1/scopes',
    {
      schema: {
        tags,
        summary: 'List scopes, sorted by name; filter by part of the name or one exact scope, page with limit and after',
        querystring: ScopesQuery,
        response: { 504: errorSchema },
      },
    },
    async (request: Req<unknown, ScopesQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const { name, scope, after, limit } = request.query;
      return { position: position(), ...pageScopes(deps.readModel.model, { name, scope, after, limit }) };
    },
  );

  const ListQuery = s.object({
    ...ReadOptions,
    ifType: s.integer({ minimum: 0, maximum: 65535 }),
    providerId: s.string(),
    name: s.string({ description: 'friendly name or LUID name (ethernet_32768)' }),
    after: s.integer({ minimum: 0, description: 'paging: only ifIndex greater than this' }),
    asOf: s.integer({ minimum: 0, description: 'time travel: the list as it was at this store position' }),
    limit: s.integer({ minimum: 1, maximum: 65535 }),
  });
  type ListQuery = ReadQuery & { ifType?: number; providerId?: string; name?: string; after?: number; limit?: number; asOf?: number };
  app.get(
    '/v1/scopes/:scope/interfaces',
    { schema: { tags, summary: 'Interfaces of a scope, sorted by ifIndex', params: ScopeParams, querystring: ListQuery, response: errors } },
    async (request: Req<{ scope: string }, ListQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const { asOf } = request.query;
      const view = asOf === undefined ? scopeOr404(deps, request.params.scope, reply) : await scopeAsOf(deps.store, request.params.scope, asOf);
      if (!view) return asOf === undefined ? reply : sendError(reply, 404, 'ScopeNotFound', `scope ${request.params.scope} had no events at position ${asOf}`);
      const { ifType, providerId, name, after, limit } = request.query;
      if (asOf === undefined && [ifType, providerId, name, after, limit].every((v) => v === undefined)) {
        // The whole list: its items' JSON comes from `lists` (serialised once per change of
        // the scope), the envelope is written here; the same JSON as the object below.
        return sendJson(reply, `{"scope":${JSON.stringify(view.scope)},"epoch":${view.epoch},"position":${position()},"items":${lists.itemsJson(view)}}`);
      }
      const items = listInterfaces(view, request.query);
      const last = items.at(-1);
      const next = request.query.limit !== undefined && items.length === request.query.limit && last ? last.ifIndex : undefined;
      if (asOf !== undefined) return { scope: view.scope, epoch: view.epoch, position: asOf, items, ...(next === undefined ? {} : { next }) };
      // A page: the same JSON as that object, each item's from `lists` (asOf views are one-offs, not kept).
      const tail = next === undefined ? '' : `,"next":${next}`;
      return sendJson(reply, lists.listJson(`{"scope":${JSON.stringify(view.scope)},"epoch":${view.epoch},"position":${position()},"items":`, items, `${tail}}`));
    },
  );

  app.get(
    '/v1/scopes/:scope/interfaces/:ifIndex',
    {
      schema: {
        tags,
        summary: 'One interface by ifIndex',
        params: s.object({ scope: Scope, ifIndex: s.integer({ minimum: 1, maximum: 65535 }) }, ['scope', 'ifIndex']),
        querystring: s.object(ReadOptions),
        response: errors,
      },
    },
    async (request: Req<{ scope: string; ifIndex: number }, ReadQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const view = scopeOr404(deps, request.params.scope, reply);
      if (!view) return reply;
      return one(reply, view, view.interfaces.get(request.params.ifIndex), `ifIndex ${request.params.ifIndex}`);
    },
  );

  app.get(
    '/v1/scopes/:scope/luids/:luid',
    {
      schema: {
        tags,
        summary: 'One interface by NET_LUID (0x… value or name like ethernet_32768)',
        params: s.object({ scope: Scope, luid: s.string({ maxLength: 40 }) }, ['scope', 'luid']),
        querystring: s.object(ReadOptions),
        response: errors,
      },
    },
    async (request: Req<{ scope: string; luid: string }, ReadQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const view = scopeOr404(deps, request.params.scope, reply);
      if (!view) return reply;
      const found = findByLuid(view, request.params.luid);
      if (!found.ok) return sendError(reply, 400, 'InvalidLuid', found.reason);
      return one(reply, view, found.value, `NET_LUID ${request.params.luid}`);
    },
  );

  app.get(
    '/v1/scopes/:scope/luid-indexes',
    {
      schema: { tags, summary: 'NetLuidIndexes held by providers (they survive BootEpochs)', params: ScopeParams, querystring: s.object(ReadOptions), response: errors },
    },
    async (request: Req<{ scope: string }, ReadQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const view = scopeOr404(deps, request.params.scope, reply);
      if (!view) return reply;
      return { scope: view.scope, position: position(), items: [...view.luidIndexes.values()] };
    },
  );

  app.get(
    '/v1/scopes/:scope/failures',
    {
      schema: { tags, summary: 'Recent registration failures of a scope, newest last', params: ScopeParams, querystring: s.object(ReadOptions), response: errors },
    },
    async (request: Req<{ scope: string }, ReadQuery>, reply) => {
      if (!(await caughtUp(deps, request.query, reply))) return reply;
      const view = scopeOr404(deps, request.params.scope, reply);
      if (!view) return reply;
      return { scope: view.scope, epoch: view.epoch, position: position(), items: view.failures };
    },
  );
}
