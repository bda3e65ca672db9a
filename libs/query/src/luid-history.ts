import { luidHex, streamNames, type RegistryEvent } from '@ifreg/domain';
import type { EventStore } from '@ifreg/event-store';

/** Store positions of one LUID's events, oldest first. */
interface Entry {
  readonly positions: number[];
  /** Older positions were dropped to keep the entry bounded. */
  truncated: boolean;
}

export interface LuidHistoryLimits {
  /** Positions kept per LUID, the newest. */
  readonly perLuid: number;
  /** LUIDs kept per scope, the most recently touched. */
  readonly luidsPerScope: number;
}

export const defaultLuidHistoryLimits: LuidHistoryLimits = { perLuid: 100, luidsPerScope: 70_000 };

/**
 * Which store positions hold the events of each LUID of each scope: an index for reading one
 * LUID's history from the store by position, since the store port has no index by LUID and
 * reading the scope's whole stream per request grows with history. Bounded: `perLuid`
 * positions per LUID and `luidsPerScope` LUIDs per scope (a full index space of 65,535 live
 * interfaces plus churn); what was dropped is reported as an incomplete history.
 */
export class LuidHistory {
  private readonly scopes = new Map<string, { readonly luids: Map<string, Entry>; forgotLuids: boolean }>();

  constructor(private readonly limits: LuidHistoryLimits = defaultLuidHistoryLimits) {}

  add(event: RegistryEvent, position: number): void {
    if (event.type === 'BootEpochStarted' || event.luid === undefined) return;
    let scope = this.scopes.get(event.scope);
    if (!scope) {
      scope = { luids: new Map(), forgotLuids: false };
      this.scopes.set(event.scope, scope);
    }
    const key = luidHex(event.luid);
    const entry = scope.luids.get(key) ?? { positions: [], truncated: false };
    if ((entry.positions.at(-1) ?? 0) >= position) return; // replayed
    entry.positions.push(position);
    if (entry.positions.length > this.limits.perLuid) {
      entry.positions.shift();
      entry.truncated = true;
    }
    // Re-inserted: the map's order is then least recently touched first.
    scope.luids.delete(key);
    scope.luids.set(key, entry);
    if (scope.luids.size > this.limits.luidsPerScope) {
      const oldest = scope.luids.keys().next().value;
      if (oldest !== undefined) scope.luids.delete(oldest);
      scope.forgotLuids = true;
    }
  }

  /** Positions of the LUID's events (hex value) in the scope, and whether that is all of them. */
  positions(scope: string, luid: string): { readonly positions: readonly number[]; readonly complete: boolean } {
    const kept = this.scopes.get(scope);
    const entry = kept?.luids.get(luid);
    if (!entry) return { positions: [], complete: !kept?.forgotLuids };
    return { positions: entry.positions, complete: !entry.truncated };
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
