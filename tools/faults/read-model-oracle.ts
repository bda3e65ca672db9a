import type { RecordedEvent } from '@ifreg/ports';

/**
 * What the query service must answer, folded from the recorded events by this file alone.
 * Invariant (d) compares the service with it; it shares none of the code it checks (the
 * domain's `project`, the query library's lists), only the contract of the API's answers.
 */

interface Registration {
  readonly ifIndex: number;
  readonly luid: { readonly ifType: number; readonly netLuidIndex: number };
  readonly providerId: string;
  readonly providerIfContext: string;
  readonly info: unknown;
  readonly epoch: number;
  readonly at: string;
}

interface OracleScope {
  readonly scope: string;
  epoch: number;
  readonly live: Map<number, { readonly event: Registration; readonly position: number }>;
  readonly failures: Record<string, unknown>[];
  lastChange: number;
  lastChangeAt: string | undefined;
}

export type Oracle = ReadonlyMap<string, OracleScope>;

/** The events the read model folds (`valid`: the contracts accept them), scope by scope. */
export function foldOracle(events: readonly RecordedEvent[], valid: (data: unknown) => boolean, maxFailures = 100): Oracle {
  const scopes = new Map<string, OracleScope>();
  for (const { data, position } of events) {
    if (!valid(data)) continue;
    const event = data as Record<string, unknown> & { type: string; scope: string; epoch: number; at: string };
    let scope = scopes.get(event.scope);
    if (!scope) {
      scope = { scope: event.scope, epoch: 0, live: new Map(), failures: [], lastChange: 0, lastChangeAt: undefined };
      scopes.set(event.scope, scope);
    }
    if (!changes(scope, event, position, maxFailures)) continue;
    scope.lastChange = position;
    scope.lastChangeAt = event.at;
  }
  return scopes;
}

/** Applies one event; answers whether it changed what the scope shows. */
function changes(scope: OracleScope, event: Record<string, unknown> & { type: string; epoch: number }, position: number, maxFailures: number): boolean {
  switch (event.type) {
    case 'BootEpochStarted':
      scope.epoch = event.epoch;
      scope.live.clear();
      return true;
    case 'InterfaceRegistered': {
      if (event.epoch !== scope.epoch) return false;
      const registration = event as unknown as Registration;
      scope.live.set(registration.ifIndex, { event: registration, position });
      return true;
    }
    case 'InterfaceDeregistered':
      if (event.epoch !== scope.epoch) return false;
      scope.live.delete(event['ifIndex'] as number);
      return true;
    case 'NetLuidIndexAllocated':
    case 'NetLuidIndexFreed':
      return true;
    case 'RegistrationFailed': {
      const { status, reason, messageType, luid, causationId, epoch, at } = event;
      scope.failures.push({ status, reason, messageType, ...(luid === undefined ? {} : { luid }), causationId, epoch, at, position });
      if (scope.failures.length > maxFailures) scope.failures.shift();
      return true;
    }
    default:
      return false;
  }
}

/** `GET /v1/scopes` items, sorted by name here (the order is the listing's own concern). */
export function expectedScopes(oracle: Oracle): unknown[] {
  return [...oracle.values()]
    .map((s) => ({ scope: s.scope, epoch: s.epoch, interfaceCount: s.live.size, lastChange: s.lastChange, lastChangeAt: s.lastChangeAt }))
    .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
}

/** `GET /v1/scopes/{scope}/interfaces` items in ifIndex order, with the LUID's value worked out here. */
export function expectedInterfaces(scope: OracleScope): unknown[] {
  return [...scope.live.values()]
    .sort((a, b) => a.event.ifIndex - b.event.ifIndex)
    .map(({ event, position }) => ({
      ifIndex: event.ifIndex,
      luid: { ifType: event.luid.ifType, netLuidIndex: event.luid.netLuidIndex, value: luidValue(event.luid) },
      providerId: event.providerId,
      providerIfContext: event.providerIfContext,
      info: event.info,
      epoch: event.epoch,
      registeredAt: event.at,
      registeredPosition: position,
    }));
}

/** The same fields of what the service answered (the LUID's name is the domain's naming). */
export function comparableInterface(item: unknown): unknown {
  const { luid, ...rest } = item as { luid?: { ifType?: unknown; netLuidIndex?: unknown; value?: unknown } };
  return { ...rest, luid: { ifType: luid?.ifType, netLuidIndex: luid?.netLuidIndex, value: luid?.value } };
}

/** NET_LUID as Windows lays it out: IfType in bits 48–63, NetLuidIndex in 24–47, 0x… hex. */
const luidValue = (luid: Registration['luid']): string => `0x${luid.ifType.toString(16).padStart(4, '0')}${luid.netLuidIndex.toString(16).padStart(6, '0')}000000`;
