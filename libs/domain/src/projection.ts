import type { FailureStatus, RegistryEvent } from './events';
import { UNKNOWN_U32, ZERO_GUID, type NetIfInformation } from './interface-info';
import { luidHex, luidView, type NetLuid } from './luid';

/** One interface as queries show it. Registered means it exists, not that it is up. */
export interface InterfaceView {
  readonly ifIndex: number;
  readonly luid: NetLuid & { readonly value: string; readonly name: string };
  readonly providerId: string;
  readonly providerIfContext: string;
  readonly info: NetIfInformation;
  readonly epoch: number;
  readonly registeredAt: string;
  /** Store position of its InterfaceRegistered event. */
  readonly registeredPosition: number;
}

export interface FailureView {
  readonly status: FailureStatus;
  readonly reason: string;
  readonly messageType: string;
  readonly luid?: NetLuid;
  readonly causationId: string;
  readonly epoch: number;
  readonly at: string;
  readonly position: number;
}

export interface LuidIndexView {
  readonly luid: NetLuid & { readonly value: string; readonly name: string };
  readonly providerId: string;
  readonly allocatedAt: string;
  readonly position: number;
}

export interface ScopeView {
  readonly scope: string;
  epoch: number;
  /** Boot id of the epoch's BootEpoch, when the agent gave one. */
  bootId: string | undefined;
  readonly interfaces: Map<number, InterfaceView>;
  /** LUID hex value → ifIndex. */
  readonly byLuid: Map<string, number>;
  /** NetLuidIndexes held by providers, by LUID hex value; they survive BootEpochs. */
  readonly luidIndexes: Map<string, LuidIndexView>;
  /** Newest last, at most `maxFailures`. */
  readonly failures: FailureView[];
  /** Position of the last event that changed this scope. */
  lastChange: number;
  lastChangeAt: string | undefined;
}

export interface ReadModel {
  readonly scopes: Map<string, ScopeView>;
  /** Position of the last event folded in. */
  position: number;
  readonly maxFailures: number;
}

export interface PositionedEvent {
  readonly event: RegistryEvent;
  readonly position: number;
}

export function emptyReadModel(maxFailures = 100): ReadModel {
  return { scopes: new Map(), position: 0, maxFailures };
}

export function emptyScope(scope: string): ScopeView {
  return { scope, epoch: 0, bootId: undefined, interfaces: new Map(), byLuid: new Map(), luidIndexes: new Map(), failures: [], lastChange: 0, lastChangeAt: undefined };
}

/**
 * Folds one event into the read model, in place. Events at or below the model's position
 * were already applied and are skipped, so replaying twice changes nothing.
 */
export function project(model: ReadModel, { event, position }: PositionedEvent): ReadModel {
  if (position <= model.position) return model;
  model.position = position;
  let view = model.scopes.get(event.scope);
  if (!view) {
    view = emptyScope(event.scope);
    model.scopes.set(event.scope, view);
  }
  applyToScope(view, event, position, model.maxFailures);
  return model;
}

const UNKNOWN_LOCATION = Object.freeze({ busNumber: UNKNOWN_U32, slotNumber: UNKNOWN_U32, functionNumber: UNKNOWN_U32 });

/**
 * The same information with its most common values shared instead of copied (defaults,
 * a permanent address equal to the current one): a read model holds 65,535 interfaces per
 * scope, and each JSON-parsed event brings its own copies. Same fields, same values.
 */
export function shareCommonValues(info: NetIfInformation): NetIfInformation {
  const location = info.physicalLocation;
  const unknownLocation = location.busNumber === UNKNOWN_U32 && location.slotNumber === UNKNOWN_U32 && location.functionNumber === UNKNOWN_U32;
  return {
    ...info,
    physicalLocation: unknownLocation ? UNKNOWN_LOCATION : location,
    permanentPhysAddress: info.permanentPhysAddress === info.physAddress ? info.physAddress : info.permanentPhysAddress,
    interfaceGuid: info.interfaceGuid === ZERO_GUID ? ZERO_GUID : info.interfaceGuid,
    networkGuid: info.networkGuid === ZERO_GUID ? ZERO_GUID : info.networkGuid,
  };
}

export function applyToScope(view: ScopeView, event: RegistryEvent, position: number, maxFailures: number): void {
  switch (event.type) {
    case 'BootEpochStarted':
      view.epoch = event.epoch;
      view.bootId = event.bootId;
      view.interfaces.clear();
      view.byLuid.clear();
      break;
    case 'InterfaceRegistered': {
      if (event.epoch !== view.epoch) return;
      const value = luidHex(event.luid);
      view.interfaces.set(event.ifIndex, {
        ifIndex: event.ifIndex,
        luid: luidView(event.luid, value),
        providerId: event.providerId,
        providerIfContext: event.providerIfContext,
        info: shareCommonValues(event.info),
        epoch: event.epoch,
        registeredAt: event.at,
        registeredPosition: position,
      });
      view.byLuid.set(value, event.ifIndex);
      break;
    }
    case 'InterfaceDeregistered':
      if (event.epoch !== view.epoch) return;
      view.interfaces.delete(event.ifIndex);
      view.byLuid.delete(luidHex(event.luid));
      break;
    case 'NetLuidIndexAllocated': {
      const value = luidHex(event.luid);
      view.luidIndexes.set(value, { luid: luidView(event.luid, value), providerId: event.providerId, allocatedAt: event.at, position });
      break;
    }
    case 'NetLuidIndexFreed':
      view.luidIndexes.delete(luidHex(event.luid));
      break;
    case 'RegistrationFailed':
      view.failures.push({
        status: event.status,
        reason: event.reason,
        messageType: event.messageType,
        ...(event.luid === undefined ? {} : { luid: event.luid }),
        causationId: event.causationId,
        epoch: event.epoch,
        at: event.at,
        position,
      });
      if (view.failures.length > maxFailures) view.failures.shift();
      break;
    default:
      return;
  }
  view.lastChange = position;
  view.lastChangeAt = event.at;
}
