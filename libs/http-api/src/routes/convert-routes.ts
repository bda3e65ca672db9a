import type { FastifyReply, FastifyRequest } from 'fastify';
import { luidHex, luidName, type InterfaceView, type ScopeView } from '@ifreg/domain';
import { findByLuid } from '@ifreg/query';
import type { HttpApiDeps } from '../deps';
import type { HttpApp } from '../app';
import { errorSchema, sendError } from '../errors';
import { Scope, s } from '../schema';

const tags = ['conversions'];
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema };
type Req<P> = FastifyRequest<{ Params: P }>;

const luidOf = (item: InterfaceView) => ({ ifType: item.luid.ifType, netLuidIndex: item.luid.netLuidIndex, value: luidHex(item.luid), name: luidName(item.luid) });

/** Identity conversions like Windows' IP Helper (ConvertInterfaceLuidToIndex and friends). */
export function registerConvertRoutes(app: HttpApp, deps: HttpApiDeps): void {
  const view = (scope: string, reply: FastifyReply): ScopeView | undefined => {
    const found = deps.readModel.model.scopes.get(scope);
    if (!found) sendError(reply, 404, 'ScopeNotFound', `scope ${scope} has no recorded events`);
    return found;
  };

  app.get(
    '/v1/scopes/:scope/convert/luid-to-index/:luid',
    { schema: { tags, summary: 'ConvertInterfaceLuidToIndex', params: s.object({ scope: Scope, luid: s.string({ maxLength: 40 }) }, ['scope', 'luid']), response: errors } },
    (request: Req<{ scope: string; luid: string }>, reply) => {
      const scope = view(request.params.scope, reply);
      if (!scope) return reply;
      const found = findByLuid(scope, request.params.luid);
      if (!found.ok) return sendError(reply, 400, 'InvalidLuid', found.reason);
      if (!found.value) return sendError(reply, 404, 'InterfaceNotFound', `NET_LUID ${request.params.luid} is not registered in scope ${scope.scope}`);
      return { luid: luidOf(found.value), ifIndex: found.value.ifIndex, position: deps.readModel.position };
    },
  );

  app.get(
    '/v1/scopes/:scope/convert/index-to-luid/:ifIndex',
    { schema: { tags, summary: 'ConvertInterfaceIndexToLuid', params: s.object({ scope: Scope, ifIndex: s.integer({ minimum: 1, maximum: 65535 }) }, ['scope', 'ifIndex']), response: errors } },
    (request: Req<{ scope: string; ifIndex: number }>, reply) => {
      const scope = view(request.params.scope, reply);
      if (!scope) return reply;
      const item = scope.interfaces.get(request.params.ifIndex);
      if (!item) return sendError(reply, 404, 'InterfaceNotFound', `ifIndex ${request.params.ifIndex} is not registered in scope ${scope.scope}`);
      return { ifIndex: item.ifIndex, luid: luidOf(item), position: deps.readModel.position };
    },
  );

  /** A LUID name (ethernet_32768) first, else the friendly name; several with one name is a 409. */
  const byName = (scope: ScopeView, name: string, reply: FastifyReply): InterfaceView | undefined => {
    const byLuidName = findByLuid(scope, name);
    const matches = byLuidName.ok && byLuidName.value ? [byLuidName.value] : [...scope.interfaces.values()].filter((i) => i.info.friendlyName === name);
    if (matches.length === 0) sendError(reply, 404, 'InterfaceNotFound', `no interface named ${name} in scope ${scope.scope}`);
    else if (matches.length > 1) {
      sendError(reply, 409, 'AmbiguousName', `${matches.length} interfaces are named ${name}; use a LUID name`, { ifIndexes: matches.map((m) => m.ifIndex).sort((a, b) => a - b) });
    } else return matches[0];
    return undefined;
  };
  const NameParams = s.object({ scope: Scope, name: s.string({ minLength: 1, maxLength: 256 }) }, ['scope', 'name']);

  app.get(
    '/v1/scopes/:scope/convert/name-to-luid/:name',
    { schema: { tags, summary: 'ConvertInterfaceNameToLuid: a LUID name (ethernet_32768) or a friendly name', params: NameParams, response: errors } },
    (request: Req<{ scope: string; name: string }>, reply) => {
      const scope = view(request.params.scope, reply);
      if (!scope) return reply;
      const item = byName(scope, request.params.name, reply);
      return item ? { name: request.params.name, luid: luidOf(item), ifIndex: item.ifIndex, position: deps.readModel.position } : reply;
    },
  );

  app.get(
    '/v1/scopes/:scope/names/:name',
    { schema: { tags: ['interfaces'], summary: 'One interface by friendly name (or LUID name)', params: NameParams, response: errors } },
    (request: Req<{ scope: string; name: string }>, reply) => {
      const scope = view(request.params.scope, reply);
      if (!scope) return reply;
      const item = byName(scope, request.params.name, reply);
      return item ? { scope: scope.scope, position: deps.readModel.position, ...item } : reply;
    },
  );
}
