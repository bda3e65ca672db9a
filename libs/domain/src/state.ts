import { type IndexAllocator, createAllocator, markUsed, release, MAX_IF_INDEX } from './allocator';
import type { InterfaceRegistered, RegistryEvent } from './events';
import { luidHex } from './luid';
import { objectSetMessageIds } from './objects';
import { createLuidAllocations, freeLuidIndex, holdLuidIndex, type LuidAllocations } from './luid-allocations';

export interface RegistryOptions {
  /** Highest interface index handed out (65535 by default, lower for tests and quotas). */
  readonly maxIfIndex: number;
  /**
   * How many recent message ids a scope remembers, to answer a redelivered message with
   * its recorded outcome instead of acting twice. Must exceed what Kafka can replay.
   */
  readonly dedupeWindow: number;
  /** Highest NetLuidIndex handed out per ifType (2^24-1 by default, lower for tests). */
  readonly maxNetLuidIndex?: number;
}

export const DEFAULT_OPTIONS: RegistryOptions = { maxIfIndex: MAX_IF_INDEX, dedupeWindow: 10_000 };

/**
 * The registrar's state of one scope. `evolve` updates it in place (see allocator.ts for
 * why); treat it as owned by one decider loop.
 */
export interface RegistryState {
  readonly scope: string;
  readonly options: RegistryOptions;
  /** 0 until the first BootEpoch is recorded. */
  epoch: number;
  bootId: string | undefined;
  allocator: IndexAllocator;
  /** Live registrations of the current epoch by LUID hex value. */
  byLuid: Map<string, InterfaceRegistered>;
  /** NetLuidIndexes held by providers; not reset by a BootEpoch. */
  readonly luidIndexes: LuidAllocations;
  /** Outcome per causing message id, bounded by dedupeWindow. */
  readonly outcomes: Map<string, RegistryEvent>;
  /**
   * The ids of `outcomes` in arrival order, a ring from `oldest` once the window is full.
   * Evicting through the Map's own order would walk the deleted entries V8 keeps in it:
   * quadratic in the window.
   */
  readonly recent: string[];
  oldest: number;
  /**
   * How many message ids left `outcomes` to keep it in bounds. While 0 the window holds every
   * message of the stream, so an id missing from it was never recorded; after that only the
   * store can tell.
   */
  forgotten: number;
}

export function initialState(scope: string, options: RegistryOptions = DEFAULT_OPTIONS): RegistryState {
  return {
    scope,
    options,
    epoch: 0,
    bootId: undefined,
    allocator: createAllocator(options.maxIfIndex),
    byLuid: new Map(),
    luidIndexes: createLuidAllocations(options.maxNetLuidIndex),
    outcomes: new Map(),
    recent: [],
    oldest: 0,
    forgotten: 0,
  };
}

/** Tolerant fold: events of unknown type or of another epoch leave the state alone. */
export function evolve(state: RegistryState, event: RegistryEvent): RegistryState {
  remember(state, event);
  switch (event.type) {
    case 'BootEpochStarted':
      state.epoch = event.epoch;
      state.bootId = event.bootId;
      state.allocator = createAllocator(state.options.maxIfIndex);
      state.byLuid = new Map();
      break;
    case 'InterfaceRegistered':
      if (event.epoch !== state.epoch) break;
      markUsed(state.allocator, event.ifIndex);
      state.byLuid.set(luidHex(event.luid), event);
      break;
    case 'InterfaceDeregistered':
      if (event.epoch !== state.epoch) break;
      release(state.allocator, event.ifIndex);
      state.byLuid.delete(luidHex(event.luid));
      break;
    case 'NetLuidIndexAllocated':
      holdLuidIndex(state.luidIndexes, event.luid.ifType, event.luid.netLuidIndex, event.providerId);
      break;
    case 'NetLuidIndexFreed':
      freeLuidIndex(state.luidIndexes, event.luid.ifType, event.luid.netLuidIndex);
      break;
    case 'InterfaceObjectSetAnswered': {
      // A retried set request is answered with its answer from now on, not asked again.
      const request = objectSetMessageIds(event.requestId).request;
      if (state.outcomes.has(request)) state.outcomes.set(request, event);
      break;
    }
    default:
      break;
  }
  return state;
}

function remember(state: RegistryState, event: RegistryEvent): void {
  const id = event.causationId;
  if (typeof id !== 'string') return;
  const known = state.outcomes.has(id);
  state.outcomes.set(id, outcomeOf(state, event));
  if (known) return;
  if (state.recent.length < state.options.dedupeWindow) {
    state.recent.push(id);
    return;
  }
  state.outcomes.delete(state.recent[state.oldest] as string);
  state.recent[state.oldest] = id;
  state.oldest = (state.oldest + 1) % state.recent.length;
  state.forgotten += 1;
}

/** The answer an agent gets for the message that caused `event` (also for an event read back from the store). */
export function outcomeOf(state: RegistryState, event: RegistryEvent): RegistryEvent {
  if (event.type === 'InterfaceObjectSetRequested') {
    const answer = state.outcomes.get(objectSetMessageIds(event.requestId).answer);
    return answer?.type === 'InterfaceObjectSetAnswered' ? answer : event;
  }
  if (event.type !== 'InterfaceRedetected') return event;
  // The registration it repeated while that one is live; after that (an old message read back
  // from the store), the recorded event itself.
  const registration = state.byLuid.get(luidHex(event.luid));
  const same = registration && event.epoch === state.epoch && registration.ifIndex === event.ifIndex;
  return same ? { ...registration, causationId: event.causationId } : event;
}
