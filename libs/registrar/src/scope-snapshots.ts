import { deserialize, serialize } from 'node:v8';
import { streamNames, type RegistryOptions, type RegistryState } from '@ifreg/domain';
import type { SnapshotStore } from '@ifreg/ports';

/** The format of a scope's snapshot; another version is ignored. */
export const SCOPE_SNAPSHOT_VERSION = 1;

export const scopeSnapshotKey = (scope: string): string => streamNames.registry(scope);

/** What a scope's snapshot holds: the decider state without its window of recent outcomes. */
interface ScopeSnapshot {
  readonly maxIfIndex: number;
  readonly maxNetLuidIndex: number | undefined;
  readonly epoch: number;
  readonly bootId: string | undefined;
  readonly allocator: RegistryState['allocator'];
  readonly byLuid: RegistryState['byLuid'];
  readonly luidIndexes: RegistryState['luidIndexes'];
}

export interface ScopeSnapshotSettings {
  readonly store: SnapshotStore;
  /**
   * A scope's snapshot is written after this many events of its stream since the last one, and
   * at least half as many as it has live interfaces (its state is about that size to write).
   */
  readonly everyEvents: number;
}

/** Due after `everyEvents` events, and not before the tail is half the live state (what a snapshot costs to write). */
export const scopeSnapshotDue = (since: number, liveInterfaces: number, everyEvents: number): boolean => since >= everyEvents && 2 * since >= liveInterfaces;

/**
 * The state as bytes. Recent outcomes are left out: exact answers to old message ids come from
 * the store's lookup by id (readByIds), which a restored state always asks (`forgotten` > 0).
 */
export function encodeScope(state: RegistryState): Buffer {
  const { epoch, bootId, allocator, byLuid, luidIndexes } = state;
  const snapshot: ScopeSnapshot = { maxIfIndex: state.options.maxIfIndex, maxNetLuidIndex: state.options.maxNetLuidIndex, epoch, bootId, allocator, byLuid, luidIndexes };
  return serialize(snapshot);
}

// By tag, not instanceof: V8 deserialises into the main realm's classes (a jest test runs in another).
const isA = (tag: 'Map' | 'Set', value: unknown): boolean => Object.prototype.toString.call(value) === `[object ${tag}]`;

/** The state again, for these options; throws when the bytes are not a scope snapshot or were taken under other limits. */
export function decodeScope(scope: string, options: RegistryOptions, data: Uint8Array): RegistryState {
  const s = deserialize(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as ScopeSnapshot;
  if (typeof s?.epoch !== 'number' || !isA('Map', s.byLuid) || !isA('Set', s.allocator?.used) || !isA('Map', s.luidIndexes?.held)) {
    throw new Error('not a scope snapshot');
  }
  if (s.maxIfIndex !== options.maxIfIndex || s.maxNetLuidIndex !== options.maxNetLuidIndex) throw new Error('taken under other index limits');
  return {
    scope, options, epoch: s.epoch, bootId: s.bootId, allocator: s.allocator, byLuid: s.byLuid, luidIndexes: s.luidIndexes,
    outcomes: new Map(), recent: [], oldest: 0, forgotten: 1,
  };
}
