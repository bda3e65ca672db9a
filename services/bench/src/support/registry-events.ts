import { randomUUID } from 'node:crypto';
import { decide, evolve, initialState, type NetIfInformationInput, type RegistrarMessage, type RegistryOptions, type RegistryState } from '@ifreg/domain';
import type { EventData } from '@ifreg/ports';

export const AT = '2026-11-24T12:00:00.000Z';

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** NET_IF_INFORMATION as a Linux agent sends it: a name, a MAC address, an interface GUID. */
export function interfaceInfo(n: number): NetIfInformationInput {
  return {
    friendlyName: `eth${n}`,
    physAddress: `02:42:${hex2(n >>> 24)}:${hex2(n >>> 16)}:${hex2(n >>> 8)}:${hex2(n)}`,
    accessType: 'broadcast',
    mediaType: 0,
    physicalMediumType: 14,
    connectorPresent: true,
    flags: 1,
    interfaceGuid: `6f1c${n.toString(16).padStart(4, '0').slice(-4)}-0000-4000-8000-${n.toString(16).padStart(12, '0').slice(-12)}`,
  };
}

/** An InterfaceDetected as agents put it on Kafka (DESIGN.md §2.9). */
export function detectionJson(scope: string, netLuidIndex: number, messageId: string = randomUUID()): string {
  return JSON.stringify({
    type: 'InterfaceDetected',
    schemaVersion: 1,
    messageId,
    scope,
    providerId: 'bench-agent',
    luid: { ifType: 6, netLuidIndex },
    providerIfContext: `ctx-${netLuidIndex}`,
    info: interfaceInfo(netLuidIndex),
    detectedAt: AT,
  });
}

/**
 * One scope's decider, recording what the registrar would: decide + evolve, and each event
 * with an id and metadata shaped like the registrar's (causation, correlation, Kafka origin).
 */
export class ScopeRecorder {
  readonly state: RegistryState;
  private offset = 0;

  /**
   * `eventId` names each event; random UUIDs by default, like the registrar's (name-based)
   * ids. For big generated stores prefer increasing ids: a million random keys make SQLite's
   * id index the slow part of writing them.
   */
  constructor(readonly scope: string, private readonly eventId: () => string = randomUUID, options?: RegistryOptions) {
    this.state = initialState(scope, options);
  }

  record(message: RegistrarMessage): EventData[] {
    const decision = decide(this.state, { message, receivedAt: AT });
    const offset = String(this.offset++);
    return decision.events.map((event) => {
      evolve(this.state, event);
      return {
        id: this.eventId(),
        type: event.type,
        data: event,
        metadata: { schemaVersion: 1, causationId: message.messageId, correlationId: message.messageId, origin: { transport: 'kafka', topic: 'ifreg.agent-messages', partition: 0, offset } },
      };
    });
  }

  detect(netLuidIndex: number, name = netLuidIndex): EventData[] {
    return this.record({
      type: 'InterfaceDetected',
      messageId: randomUUID(),
      scope: this.scope,
      providerId: 'bench-agent',
      luid: { ifType: 6, netLuidIndex },
      providerIfContext: `ctx-${netLuidIndex}`,
      info: interfaceInfo(name),
      detectedAt: AT,
    });
  }

  remove(netLuidIndex: number): EventData[] {
    return this.record({ type: 'InterfaceRemoved', messageId: randomUUID(), scope: this.scope, providerId: 'bench-agent', luid: { ifType: 6, netLuidIndex } });
  }

  boot(): EventData[] {
    const messageId = randomUUID();
    return this.record({ type: 'BootEpoch', messageId, scope: this.scope, bootId: `boot-${messageId}`, at: AT });
  }
}

/** `count` registrations in one scope (ifIndex 1..count), as a list of events. */
export function registrations(scope: string, count: number, eventId?: () => string): EventData[] {
  const recorder = new ScopeRecorder(scope, eventId);
  const out: EventData[] = [];
  for (let i = 1; i <= count; i++) out.push(...recorder.detect(i));
  return out;
}

/**
 * A realistic history for one scope, `count` events long: mostly registrations, some
 * removals of older interfaces (1 in 7), a conflicting re-detection now and then (1 in 500,
 * RegistrationFailed) and a reboot every 5,000 events (BootEpochStarted resets the list).
 * Yields the events in chunks of about `chunk`, as the registrar appends batches.
 */
export function* churn(scope: string, count: number, chunk: number, eventId?: () => string): Generator<EventData[]> {
  const recorder = new ScopeRecorder(scope, eventId);
  const live: number[] = [];
  let head = 0;
  let next = 1;
  let produced = 0;
  let pending: EventData[] = [];
  for (let step = 0; produced < count; step++) {
    let events: EventData[];
    if (step % 5000 === 0) {
      events = recorder.boot();
      live.length = 0;
      head = 0;
    } else if (step % 7 === 0 && head < live.length) {
      events = recorder.remove(live[head++] ?? 0);
    } else if (step % 500 === 0 && head < live.length) {
      events = recorder.detect(live[live.length - 1] ?? 0, 10_000_000 + step); // same LUID, other information: a conflict
    } else {
      live.push(next);
      events = recorder.detect(next++);
    }
    produced += events.length;
    pending.push(...events);
    if (pending.length >= chunk) {
      yield pending;
      pending = [];
    }
  }
  if (pending.length > 0) yield pending;
}

/** Increasing event ids (see ScopeRecorder): `prefix-0000000001`, … */
export function sequentialIds(prefix: string): () => string {
  let next = 0;
  return () => `${prefix}-${String(++next).padStart(10, '0')}`;
}
