import type { Decision } from './decide';
import { failed } from './decide';
import type { InterfaceObjectSetAnswered, InterfaceObjectSetRequested } from './events';
import { checkLuid } from './luid';
import type { ObjectSetAnswered, ObjectSetRequested } from './messages';
import { checkSetValue, objectSetMessageIds, oidDefinition } from './objects';
import type { RegistryState } from './state';

/**
 * A set of an interface object and the provider's answer, recorded as they happened: the
 * API resolved the interface and asked the provider; the registry keeps the record. Only the
 * shape is checked, and that the message id is the one derived from the request id (so a
 * retried set is recorded once whatever id the sender picked).
 */
export function recordObjectSet(state: RegistryState, msg: ObjectSetRequested | ObjectSetAnswered, at: string): Decision {
  const refuse = (reason: string) => failed(state, msg.type, msg.messageId, 'INVALID_PARAMETER', reason, at, msg.luid);
  const luid = checkLuid(msg.luid.ifType, msg.luid.netLuidIndex);
  if (!luid.ok) return refuse(luid.reason);
  const ids = objectSetMessageIds(msg.requestId);
  const expected = msg.type === 'ObjectSetRequested' ? ids.request : ids.answer;
  if (msg.messageId !== expected) return refuse(`messageId of ${msg.type} must be ${expected}, derived from its requestId`);
  if (msg.oid.name !== undefined && oidDefinition(msg.oid.value)?.name !== msg.oid.name) return refuse(`oid.name ${msg.oid.name} is not the name of OID ${msg.oid.value}`);
  const value = checkSetValue(msg.oid, msg.value);
  if (!value.ok) return refuse(value.reason);
  const requested: InterfaceObjectSetRequested = {
    type: 'InterfaceObjectSetRequested',
    scope: state.scope,
    epoch: state.epoch,
    ifIndex: msg.ifIndex,
    luid: luid.value,
    providerId: msg.providerId,
    oid: msg.oid,
    value: value.value,
    requestId: msg.requestId,
    caller: msg.caller,
    causationId: msg.messageId,
    at,
  };
  if (msg.type === 'ObjectSetRequested') return { events: [requested], outcome: requested };
  const answered: InterfaceObjectSetAnswered = {
    ...requested,
    type: 'InterfaceObjectSetAnswered',
    status: msg.status,
    ...(msg.reason === undefined ? {} : { reason: msg.reason }),
    ...(msg.answer === undefined ? {} : { answer: msg.answer }),
  };
  return { events: [answered], outcome: answered };
}
