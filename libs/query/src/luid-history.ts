import { streamNames, type NetLuid, type RegistryEvent } from '@ifreg/domain';
import type { EventStore } from '@ifreg/ports';

export interface LuidHistoryLimits {
  /** Positions kept per LUID, the newest. */
  readonly perLuid: number;
  /** LUIDs kept per scope, the most recently touched. */
  readonly luidsPerScope: number;
}

export const defaultLuidHistoryLimits: LuidHistoryLimits = { perLuid: 100, luidsPerScope: 70_000 };

export interface ScopeIndex {
  /**
   * LUID (ifType × 2^24 + NetLuidIndex, exact in a double) → the positions of its events, oldest
   * first: one position as a plain number (most LUIDs have one event), several as an array.
   * A string key and an array per LUID took ~316 bytes of heap per LUID; this takes ~30 for a
   * LUID with one event, ~120 with two (65,535 × 4 LUIDs, node --expose-gc).
   */
  readonly luids: Map<number, number | number[]>;
  /** LUIDs whose older positions were dropped. */
  readonly truncated: Set<number>;
  /** Some LUIDs were dropped whole. */
  forgotLuids: boolean;
}

const keyOf = (luid: NetLuid): number => luid.ifType * 0x1000000 + luid.netLuidIndex;

/** Drops the least recently touched LUID of a scope that holds too many. */
function forgetOldest(scope: ScopeIndex): void {
  const oldest = scope.luids.keys().next().value;
  if (oldest !== undefined) {
    scope.luids.delete(oldest);
    scope.truncated.delete(oldest);
  }
  scope.forgotLuids = true;
}

/**
 * Which store positions hold the events of each LUID of each scope: an index for reading one
 * LUID's history from the store by position, since the store port has no index by LUID and
 * reading the scope's whole stream per request grows with history. Bounded: `perLuid`
 * positions per LUID and `luidsPerScope` LUIDs per scope (a full index space of 65,535 live
 * interfaces plus churn); what was dropped is reported as an incomplete history.
 */
export class LuidHistory {
  private readonly scopes = new Map<string, ScopeIndex>();

  constructor(private readonly limits: LuidHistoryLimits = defaultLuidHistoryLimits) {}

  add(event: RegistryEvent, position: number): void {
    if (event.type === 'BootEpochStarted' || event.luid === undefined) return;
    let scope = this.scopes.get(event.scope);
    if (!scope) {
      scope = { luids: new Map(), truncated: new Set(), forgotLuids: false };
      this.scopes.set(event.scope, scope);
    }
    const key = keyOf(event.luid);
    const kept = scope.luids.get(key);
    if (kept === undefined) {
      // New to the index: appended, so already the most recently touched (no delete first).
      scope.luids.set(key, position);
      if (scope.luids.size > this.limits.luidsPerScope) forgetOldest(scope);
      return;
    }
    const last = typeof kept === 'number' ? kept : (kept.at(-1) ?? 0);
    if (last >= position) return; // replayed
    // A literal of two: a push onto [kept] would reserve room for 17.
    let list: number[];
    if (typeof kept === 'number') list = [kept, position];
    else {
      kept.push(position);
      list = kept;
    }
    while (list.length > Math.max(1, this.limits.perLuid)) {
      list.shift();
      scope.truncated.add(key);
    }
    // Re-inserted: the map's order is then least recently touched first.
    scope.luids.delete(key);
    scope.luids.set(key, list.length === 1 ? position : list);
  }

  /** The index as it is, for a snapshot (not copied: keep it still while it is serialised). */
  get state(): ReadonlyMap<string, ScopeIndex> {
    return this.scopes;
  }

  /** An index restored from a snapshot. */
  static restored(limits: LuidHistoryLimits, scopes: ReadonlyMap<string, ScopeIndex>): LuidHistory {
    const history = new LuidHistory(limits);
    for (const [scope, index] of scopes) history.scopes.set(scope, index);
    return history;
  }

  /** Positions of the LUID's events in the scope, and whether that is all of them. */
  positions(scope: string, luid: NetLuid): { readonly positions: readonly number[]; readonly complete: boolean } {
    const index = this.scopes.get(scope);
    const key = keyOf(luid);
    const kept = index?.luids.get(key);
    if (kept === undefined) return { positions: [], complete: !index?.forgotLuids };
    return { positions: typeof kept === 'number' ? [kept] : kept.slice(), complete: !index?.truncated.has(key) };
  }
}

export interface HistoryItem {
  readonly position: number;
  readonly revision: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly event: unknown;
}

export interface HistoryPage {
  readonly items: HistoryItem[];
  /** Pass as `after` for the next page; absent on the last one. */
  readonly next?: number;
}

/**
 * One page of a LUID's events (positions after `after`, oldest first), each read from the
 * store at its position: `limit` bounded reads, whatever the length of the scope's history.
 */
export async function readHistoryPage(store: EventStore, scope: string, positions: readonly number[], after: number, limit: number): Promise<HistoryPage> {
  const wanted = positions.filter((p) => p > after);
  const page = wanted.slice(0, limit);
  const stream = streamNames.registry(scope);
  const read = await Promise.all(page.map(async (position) => (await store.readAll(position - 1, 1))[0]));
  const items: HistoryItem[] = [];
  for (const recorded of read) {
    // A position that held no event of this stream (never, unless the index is wrong) is left out.
    if (recorded?.stream !== stream || !page.includes(recorded.position)) continue;
    items.push({ position: recorded.position, revision: recorded.revision, type: recorded.type, recordedAt: recorded.recordedAt, event: recorded.data });
  }
  const last = page.at(-1);
  return { items, ...(wanted.length > page.length && last !== undefined ? { next: last } : {}) };
}
