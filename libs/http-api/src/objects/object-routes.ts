import type { FastifyReply, FastifyRequest } from 'fastify';
import { SCHEMA_VERSION } from '@ifreg/contracts';
import {
  SET_REQUEST_ID_PATTERN,
  checkSetValue,
  luidHex,
  luidName,
  objectSetMessageIds,
  oidHex,
  parseOid,
  type InterfaceView,
  type Oid,
} from '@ifreg/domain';
import { ObjectBrokerBusyError, ObjectTimeoutError, type ObjectRequestDraft } from '@ifreg/messaging';
import type { ObjectReply } from '@ifreg/contracts';
import { findByLuid } from '@ifreg/query';
import type { HttpApp } from '../app';
import type { HttpApiDeps } from '../deps';
import { errorSchema, sendError } from '../errors';
import { Scope, s } from '../schema';
import { callerOf } from './caller';
import type { ObjectApiDeps, RecordedSet } from './object-deps';

const OidParam = s.string({ maxLength: 64, description: 'an NDIS name (OID_GEN_ALIAS) or a value (0x00010289, 66185)' });
const tags = ['objects'];
const Query = s.object({ timeoutMs: s.integer({ minimum: 1, maximum: 60000, description: 'how long to wait for the provider (default IFREG_OBJECT_TIMEOUT_MS)' }) });
const answerSchema = s.object(
  {
    scope: s.string(),
    ifIndex: s.integer(),
    luid: s.object({ ifType: s.integer(), netLuidIndex: s.integer(), value: s.string(), name: s.string() }),
    providerId: s.string(),
    oid: s.object({ value: s.integer(), hex: s.string(), name: s.string() }),
    status: s.string({ description: 'the provider’s NDIS-style status: SUCCESS, NOT_SUPPORTED, INVALID_PARAMETER, INVALID_DATA, RESOURCES, …' }),
    value: { description: 'the object’s value (queries) or the value set' },
    reason: s.string(),
    requestId: s.string(),
    repeated: s.boolean({ description: 'sets: the answer recorded for this requestId before; nothing was applied again' }),
  },
  ['scope', 'ifIndex', 'luid', 'providerId', 'oid', 'status'],
);
const responses = { 200: answerSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema, 504: errorSchema };

type Params = { scope: string; oid: string } & ({ ifIndex: number } | { luid: string });
type Req = FastifyRequest<{ Params: Params; Querystring: { timeoutMs?: number }; Body: unknown }>;

/**
 * GET and PUT `/v1/scopes/{scope}/interfaces/{ifIndex}/objects/{oid}` (and by LUID): an OID
 * query or set, routed to the provider that registered the interface in the current epoch,
 * with its ProviderIfContext; the provider's NDIS-style status and value are the answer.
 * A set is recorded by the registrar before the provider is asked and again with its answer.
 */
export function registerObjectRoutes(app: HttpApp, deps: HttpApiDeps, objects: ObjectApiDeps): void {
  const byIndex = s.object({ scope: Scope, ifIndex: s.integer({ minimum: 1, maximum: 65535 }), oid: OidParam }, ['scope', 'ifIndex', 'oid']);
  const byLuid = s.object({ scope: Scope, luid: s.string({ maxLength: 40 }), oid: OidParam }, ['scope', 'luid', 'oid']);
  const setBody = {
    description: '{ "value": <JSON>, "requestId": "<1-100 of [A-Za-z0-9._:-]>" }: a retry with the same requestId is not applied twice',
    anyOf: [{ type: 'object', properties: { value: {}, requestId: { type: 'string' } } }, { type: 'string' }],
  };
  for (const [path, params] of [
    ['/v1/scopes/:scope/interfaces/:ifIndex/objects/:oid', byIndex],
    ['/v1/scopes/:scope/luids/:luid/objects/:oid', byLuid],
  ] as const) {
    app.get(path, { schema: { tags, summary: 'Query an interface object (ProviderQueryObject): live, not recorded', params, querystring: Query, response: responses } }, (request: Req, reply) =>
      handle(request, reply, 'query'),
    );
    app.put(
      path,
      { schema: { tags, summary: 'Set an interface object (ProviderSetObject): a write, recorded by the registrar', security: [{ bearer: [] }], params, querystring: Query, body: setBody, response: responses } },
      (request: Req, reply) => handle(request, reply, 'set'),
    );
  }

  async function handle(request: Req, reply: FastifyReply, operation: 'query' | 'set'): Promise<FastifyReply | object> {
    const oid = parseOid(request.params.oid);
    if (!oid.ok) return sendError(reply, 400, 'InvalidOid', oid.reason);
    const set = operation === 'set' ? readSet(request.body, oid.value) : undefined;
    if (set && 'reason' in set) return sendError(reply, 400, 'InvalidValue', set.reason);
    const item = resolve(request.params, reply);
    if (!item) return reply;
    const timeoutMs = Math.min(request.query.timeoutMs ?? objects.timeoutMs, deps.maxWaitMs);
    const base = answerBase(request.params.scope, item, oid.value);
    const draft: ObjectRequestDraft = {
      scope: request.params.scope,
      providerId: item.providerId,
      ifIndex: item.ifIndex,
      luid: { ifType: item.luid.ifType, netLuidIndex: item.luid.netLuidIndex },
      providerIfContext: item.providerIfContext,
      operation,
      oid: oid.value,
    };
    if (!set) return ask(reply, draft, timeoutMs, base);
    if (!objects.records) return sendError(reply, 503, 'SetsNotRecorded', 'sets are recorded by the registrar, and this service has no path to it (a query service needs Kafka: IFREG_OBJECTS_KAFKA=true)');
    const caller = callerOf(request, deps.token);
    const record = { ...draft, requestId: set.requestId, value: set.value, caller };
    const earlier = await objects.recordedSet?.(draft.scope, set.requestId);
    const repeated = earlier && sameSet(earlier, record);
    if (repeated === false) return sendError(reply, 409, 'RequestIdReused', `requestId ${set.requestId} was used in scope ${draft.scope} for another set`);
    if (earlier?.answer?.type === 'InterfaceObjectSetAnswered') {
      const { status, reason, answer } = earlier.answer;
      return { ...base, status, ...(answer === undefined ? {} : { value: answer }), ...(reason === undefined ? {} : { reason }), requestId: set.requestId, repeated: true };
    }
    try {
      await send(objects, 'request', record);
    } catch (error) {
      return sendError(reply, 503, 'RegistrarUnreachable', `the set could not be recorded, so it was not asked: ${(error as Error).message}`);
    }
    const full = { ...draft, value: set.value, setRequestId: set.requestId, caller };
    const answered = await ask(reply, full, timeoutMs, { ...base, requestId: set.requestId }, ` The set is recorded as requested; retry with the same requestId.`);
    if (!('status' in answered) || typeof answered.status !== 'string') return answered;
    const providerReply = answered as { status: ObjectReply['status']; value?: unknown; reason?: string };
    await send(objects, 'answer', { ...record, status: providerReply.status, ...(providerReply.reason === undefined ? {} : { reason: providerReply.reason }), ...(providerReply.value === undefined ? {} : { answer: providerReply.value }) }).catch(
      (error: unknown) => request.log.error({ err: error, requestId: set.requestId }, 'the answer of a set could not be recorded'),
    );
    return answered;
  }

  async function ask(reply: FastifyReply, draft: ObjectRequestDraft, timeoutMs: number, base: object, timeoutNote = ''): Promise<FastifyReply | Record<string, unknown>> {
    try {
      const answer = await objects.broker.request(draft, timeoutMs);
      return { ...base, status: answer.status, ...(answer.value === undefined ? {} : { value: answer.value }), ...(answer.reason === undefined ? {} : { reason: answer.reason }) };
    } catch (error) {
      if (error instanceof ObjectTimeoutError) return sendError(reply, 504, 'ProviderTimeout', `${error.message}.${timeoutNote}`);
      if (error instanceof ObjectBrokerBusyError) return sendError(reply, 503, 'Busy', error.message);
      return sendError(reply, 503, 'ProviderUnreachable', `the request could not be sent to the provider: ${(error as Error).message}`);
    }
  }

  function resolve(params: Params, reply: FastifyReply): InterfaceView | undefined {
    const view = deps.readModel.model.scopes.get(params.scope);
    const what = 'ifIndex' in params ? `ifIndex ${params.ifIndex}` : `NET_LUID ${params.luid}`;
    if (!view) {
      sendError(reply, 404, 'InterfaceNotFound', `${what} is not registered: scope ${params.scope} has no recorded events`);
      return undefined;
    }
    let item: InterfaceView | undefined;
    if ('ifIndex' in params) item = view.interfaces.get(params.ifIndex);
    else {
      const found = findByLuid(view, params.luid);
      if (!found.ok) {
        sendError(reply, 400, 'InvalidLuid', found.reason);
        return undefined;
      }
      item = found.value;
    }
    if (!item) sendError(reply, 404, 'InterfaceNotFound', `${what} is not registered in epoch ${view.epoch} of scope ${view.scope}`);
    return item;
  }
}

/** `{ value, requestId }` from a PUT body (text when the ingest parser took it, else parsed). */
function readSet(body: unknown, oid: Oid): { value: unknown; requestId: string } | { reason: string } {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return { reason: `the body is not JSON: ${(error as Error).message}` };
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { reason: 'the body must be a JSON object { "value": …, "requestId": "…" }' };
  const { value, requestId, ...rest } = parsed as Record<string, unknown>;
  const unknownField = Object.keys(rest)[0];
  if (unknownField !== undefined) return { reason: `${unknownField} is not a known field (value, requestId)` };
  if (typeof requestId !== 'string' || !SET_REQUEST_ID_PATTERN.test(requestId)) return { reason: 'requestId is required: 1-100 characters of [A-Za-z0-9._:-], the same on a retry' };
  const checked = checkSetValue(oid, value);
  return checked.ok ? { value: checked.value, requestId } : { reason: checked.reason };
}

function answerBase(scope: string, item: InterfaceView, oid: Oid) {
  return {
    scope,
    ifIndex: item.ifIndex,
    luid: { ifType: item.luid.ifType, netLuidIndex: item.luid.netLuidIndex, value: luidHex(item.luid), name: luidName(item.luid) },
    providerId: item.providerId,
    oid: { value: oid.value, hex: oidHex(oid.value), ...(oid.name === undefined ? {} : { name: oid.name }) },
  };
}

interface SetRecord extends ObjectRequestDraft {
  readonly requestId: string;
  readonly value: unknown;
  readonly caller: string;
}

/** Whether the recorded set is this one (a retry), false for another set under the same id; undefined when none is recorded. */
function sameSet(recorded: RecordedSet, record: SetRecord): boolean | undefined {
  const event = recorded.request ?? recorded.answer;
  if (event?.type !== 'InterfaceObjectSetRequested' && event?.type !== 'InterfaceObjectSetAnswered') return undefined;
  return luidHex(event.luid) === luidHex(record.luid) && event.oid.value === record.oid.value && JSON.stringify(event.value) === JSON.stringify(record.value);
}

function send(objects: ObjectApiDeps, kind: 'request' | 'answer', fields: SetRecord & { status?: string; reason?: string; answer?: unknown }): Promise<void> {
  const messageId = objectSetMessageIds(fields.requestId)[kind];
  const message = {
    type: kind === 'request' ? 'ObjectSetRequested' : 'ObjectSetAnswered',
    schemaVersion: SCHEMA_VERSION,
    messageId,
    scope: fields.scope,
    providerId: fields.providerId,
    luid: fields.luid,
    ifIndex: fields.ifIndex,
    oid: fields.oid,
    value: fields.value,
    requestId: fields.requestId,
    caller: fields.caller,
    ...(kind === 'answer' ? { status: fields.status, ...(fields.reason === undefined ? {} : { reason: fields.reason.slice(0, 1024) }), ...(fields.answer === undefined ? {} : { answer: fields.answer }) } : {}),
  };
  return objects.records?.send([{ key: fields.scope, value: JSON.stringify(message), headers: { ce_id: messageId, ce_type: message.type } }]) ?? Promise.resolve();
}
