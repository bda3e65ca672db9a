import { peekNext } from './allocator';
import type { InterfaceRegistered, RegistrationFailed, RegistryEvent, FailureStatus } from './events';
import { completeInfo, sameInfo } from './interface-info';
import { checkLuid, luidHex, luidName, type NetLuid } from './luid';
import type { BootEpoch, Command, InterfaceDetected, InterfaceRemoved, MessageRejected, NetLuidIndexFreeRequested, NetLuidIndexRequested } from './messages';
import { recordObjectSet } from './decide-object-set';
import { holderOf, peekLuidIndex } from './luid-allocations';
import type { RegistryState } from './state';

/** What the registrar records for a message, and what it answers the agent. */
export interface Decision {
  /** New events to append; empty when the message's effect is already recorded. */
  readonly events: readonly RegistryEvent[];
  /** The answer to the agent: the event recorded for this message (or the registration it repeats). */
  readonly outcome: RegistryEvent;
}

/** In UTF-8 bytes, which a JSON Schema cannot state: the schema bounds the characters by the same number. */
export const MAX_PROVIDER_CONTEXT_BYTES = 256;

/** The registrar's rules (DESIGN.md §2.3). Pure: the time comes with the command. */
export function decide(state: RegistryState, command: Command): Decision {
  const { message } = command;
  const recorded = state.outcomes.get(message.messageId);
  if (recorded) return { events: [], outcome: recorded };
  switch (message.type) {
    case 'InterfaceDetected':
      return detect(state, message, command.receivedAt);
    case 'InterfaceRemoved':
      return remove(state, message, command.receivedAt);
    case 'BootEpoch':
      return boot(state, message, command.receivedAt);
    case 'NetLuidIndexRequested':
      return allocateLuidIndex(state, message, command.receivedAt);
    case 'NetLuidIndexFreeRequested':
      return freeLuidIndexOf(state, message, command.receivedAt);
    case 'ObjectSetRequested':
    case 'ObjectSetAnswered':
      return recordObjectSet(state, message, command.receivedAt);
    case 'MessageRejected':
      return reject(state, message, command.receivedAt);
    default:
      return assertNever(message);
  }
}

function detect(state: RegistryState, msg: InterfaceDetected, at: string): Decision {
  const fail = (status: FailureStatus, reason: string) => failed(state, msg.type, msg.messageId, status, reason, at, msg.luid);
  const luid = checkLuid(msg.luid.ifType, msg.luid.netLuidIndex);
  if (!luid.ok) return fail('INVALID_PARAMETER', luid.reason);
  const info = completeInfo(msg.info);
  if (!info.ok) return fail('INVALID_PARAMETER', info.reason);
  const context = msg.providerIfContext ?? '';
  if (utf8Length(context) > MAX_PROVIDER_CONTEXT_BYTES) {
    return fail('INVALID_PARAMETER', `providerIfContext must be at most ${MAX_PROVIDER_CONTEXT_BYTES} bytes`);
  }
  const existing = state.byLuid.get(luidHex(luid.value));
  if (existing) {
    const same = existing.providerId === msg.providerId && existing.providerIfContext === context && sameInfo(existing.info, info.value);
    if (same) {
      const event: RegistryEvent = {
        type: 'InterfaceRedetected',
        scope: state.scope,
        epoch: state.epoch,
        ifIndex: existing.ifIndex,
        luid: luid.value,
        providerId: msg.providerId,
        causationId: msg.messageId,
        at,
      };
      return { events: [event], outcome: { ...existing, causationId: msg.messageId } };
    }
    return fail(
      'INTERFACE_EXISTS',
      `${luidName(luid.value)} is already registered as ifIndex ${existing.ifIndex} by ${existing.providerId} with different information`,
    );
  }
  const ifIndex = peekNext(state.allocator);
  if (ifIndex === undefined) {
    return fail('RESOURCES', `no free interface index in scope ${state.scope} (all ${state.allocator.max} in use)`);
  }
  const event: InterfaceRegistered = {
    type: 'InterfaceRegistered',
    scope: state.scope,
    epoch: state.epoch,
    ifIndex,
    luid: luid.value,
    providerId: msg.providerId,
    providerIfContext: context,
    info: info.value,
    ...(msg.detectedAt === undefined ? {} : { detectedAt: msg.detectedAt }),
    causationId: msg.messageId,
    at,
  };
  return { events: [event], outcome: event };
}

function remove(state: RegistryState, msg: InterfaceRemoved, at: string): Decision {
  const fail = (status: FailureStatus, reason: string) => failed(state, msg.type, msg.messageId, status, reason, at, msg.luid);
  const luid = checkLuid(msg.luid.ifType, msg.luid.netLuidIndex);
  if (!luid.ok) return fail('INVALID_PARAMETER', luid.reason);
  const existing = state.byLuid.get(luidHex(luid.value));
  if (!existing) return fail('INTERFACE_NOT_FOUND', `${luidName(luid.value)} is not registered in epoch ${state.epoch} of ${state.scope}`);
  if (existing.providerId !== msg.providerId) {
    return fail('INVALID_PARAMETER', `${luidName(luid.value)} was registered by ${existing.providerId}, not ${msg.providerId}`);
  }
  const event: RegistryEvent = {
    type: 'InterfaceDeregistered',
    scope: state.scope,
    epoch: state.epoch,
    ifIndex: existing.ifIndex,
    luid: luid.value,
    providerId: msg.providerId,
    ...(msg.removedAt === undefined ? {} : { removedAt: msg.removedAt }),
    causationId: msg.messageId,
    at,
  };
  return { events: [event], outcome: event };
}

function boot(state: RegistryState, msg: BootEpoch, at: string): Decision {
  const event: RegistryEvent = {
    type: 'BootEpochStarted',
    scope: state.scope,
    epoch: state.epoch + 1,
    ...(msg.bootId === undefined ? {} : { bootId: msg.bootId }),
    causationId: msg.messageId,
    at: msg.at ?? at,
  };
  return { events: [event], outcome: event };
}

function allocateLuidIndex(state: RegistryState, msg: NetLuidIndexRequested, at: string): Decision {
  const fail = (status: FailureStatus, reason: string) => failed(state, msg.type, msg.messageId, status, reason, at, undefined);
  const type = checkLuid(msg.ifType, 0);
  if (!type.ok) return fail('INVALID_PARAMETER', type.reason.replace('luid.ifType', 'ifType'));
  const netLuidIndex = peekLuidIndex(state.luidIndexes, msg.ifType);
  if (netLuidIndex === undefined) {
    return fail('RESOURCES', `no free NetLuidIndex for ifType ${msg.ifType} in scope ${state.scope} (all ${state.luidIndexes.max} held)`);
  }
  const event: RegistryEvent = {
    type: 'NetLuidIndexAllocated',
    scope: state.scope,
    epoch: state.epoch,
    luid: { ifType: msg.ifType, netLuidIndex },
    providerId: msg.providerId,
    causationId: msg.messageId,
    at,
  };
  return { events: [event], outcome: event };
}

function freeLuidIndexOf(state: RegistryState, msg: NetLuidIndexFreeRequested, at: string): Decision {
  const fail = (status: FailureStatus, reason: string) => failed(state, msg.type, msg.messageId, status, reason, at, msg.luid);
  const luid = checkLuid(msg.luid.ifType, msg.luid.netLuidIndex);
  if (!luid.ok) return fail('INVALID_PARAMETER', luid.reason);
  const holder = holderOf(state.luidIndexes, luid.value.ifType, luid.value.netLuidIndex);
  if (holder === undefined) return fail('INVALID_PARAMETER', `NetLuidIndex ${luid.value.netLuidIndex} is not allocated for ifType ${luid.value.ifType}`);
  if (holder !== msg.providerId) return fail('INVALID_PARAMETER', `${luidName(luid.value)} is held by ${holder}, not ${msg.providerId}`);
  const event: RegistryEvent = {
    type: 'NetLuidIndexFreed',
    scope: state.scope,
    epoch: state.epoch,
    luid: luid.value,
    providerId: msg.providerId,
    causationId: msg.messageId,
    at,
  };
  return { events: [event], outcome: event };
}

function reject(state: RegistryState, msg: MessageRejected, at: string): Decision {
  return failed(state, msg.messageType, msg.messageId, 'INVALID_PARAMETER', msg.reason, at, msg.luid);
}

export function failed(
  state: RegistryState,
  messageType: string,
  causationId: string,
  status: FailureStatus,
  reason: string,
  at: string,
  luid: NetLuid | undefined,
): Decision {
  const event: RegistrationFailed = {
    type: 'RegistrationFailed',
    scope: state.scope,
    epoch: state.epoch,
    messageType,
    ...(luid === undefined ? {} : { luid }),
    status,
    reason,
    causationId,
    at,
  };
  return { events: [event], outcome: event };
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function assertNever(value: never): never {
  throw new Error(`unhandled message ${JSON.stringify(value)}`);
}
