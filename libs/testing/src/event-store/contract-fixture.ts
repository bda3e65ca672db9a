/// <reference types="jest" />
import type { EventData, EventStore, Subscription } from '@ifreg/ports';

/** Test support shared by the contract suites; not part of the production entry. */
export type CreateStore = () => Promise<EventStore>;
export type DisposeStore = (store: EventStore) => Promise<void>;

/** A fresh store per test, and every subscription a test opened closed before the store. */
export interface StoreFixture {
  readonly store: () => EventStore;
  readonly track: (subscription: Subscription) => Subscription;
}

export function useFreshStore(create: CreateStore, dispose: DisposeStore = (s) => s.close()): StoreFixture {
  let current: EventStore | undefined;
  let subscriptions: Subscription[] = [];
  beforeEach(async () => {
    current = await create();
  });
  afterEach(async () => {
    await Promise.all(subscriptions.map((s) => s.close()));
    subscriptions = [];
    if (current) await dispose(current);
    current = undefined;
  });
  return {
    store: () => {
      if (!current) throw new Error('no store: call store() inside a test');
      return current;
    },
    track: (subscription) => {
      subscriptions.push(subscription);
      return subscription;
    },
  };
}

/** `count` events with ids `<prefix>-0`, `<prefix>-1`, ... */
export function makeEvents(prefix: string, count: number): EventData[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'Tested',
    data: { prefix, i },
    metadata: { causationId: `${prefix}-cause` },
  }));
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Strictly increasing: what the port promises of positions (not that they are gap-free). */
export const increasing = (positions: readonly number[]): boolean => positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? 0));
