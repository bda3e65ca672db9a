import { NO_STREAM, type RecordedEvent } from '@ifreg/ports';
import { eventStoreContract, increasing, makeEvents, sleep, waitFor } from '@ifreg/testing';
import { CLAIM_PREFIX } from './claims';
import { endOfAll } from './client';
import { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb-event-store';
import { InMemoryEsdb } from '@ifreg/testing';

// The adapter's own logic over an in-memory stand-in of the client (see in-memory-esdb.ts).
// This is not the EventStoreDB contract run: that is eventstoredb-event-store.int.spec.ts,
// which needs a server (EVENTSTORE_URL) and is skipped, visibly, without one.

type Extra = Omit<EventStoreDbEventStoreOptions, 'url' | 'client'>;
const open = (esdb: InMemoryEsdb, extra: Extra = {}): EventStoreDbEventStore =>
  new EventStoreDbEventStore({ client: esdb.client(), pollIntervalMs: 50, pageSize: 7, ...extra });

describe('EventStoreDbEventStore over an in-memory stand-in of the client (not a server test)', () => {
  // One shared log with system events and earlier namespaces in it, as a real server has.
  const shared = new InMemoryEsdb();
  let tests = 0;
  eventStoreContract('eventstoredb adapter logic', async () => {
    await shared.write(`other-${tests}`);
    return open(shared, { namespace: `t${++tests}_`, origin: await endOfAll(shared.client()) });
  });

  describe('a log where other streams and system events interleave with ours', () => {
    it('answers only our events, their positions growing, also without an origin', async () => {
      const esdb = new InMemoryEsdb();
      await esdb.write('foreign-1');
      await esdb.write('$settings', '$settings');
      const store = open(esdb, { namespace: 'ns_' });
      try {
        await store.append('order-1', makeEvents('a', 2), NO_STREAM);
        await esdb.write('ns2_order-1');
        await store.append('order-2', makeEvents('b', 1), NO_STREAM);
        const all = await store.readAll(0, 10);
        expect(all.map((e) => [e.stream, e.id])).toEqual([['order-1', 'a-0'], ['order-1', 'a-1'], ['order-2', 'b-0']]);
        expect(increasing(all.map((e) => e.position))).toBe(true);
        expect(await store.headPosition()).toBe(all[2]?.position);
        // Resuming after any of them, also after the first event of a two-event append.
        expect((await store.readAll(all[0]?.position ?? 0, 10)).map((e) => e.id)).toEqual(['a-1', 'b-0']);
        expect((await store.readAll(all[1]?.position ?? 0, 10)).map((e) => e.id)).toEqual(['b-0']);
      } finally {
        await store.close();
      }
    });

    it('reads no claims to append to a new stream, and reads them to answer a redelivery', async () => {
      const esdb = new InMemoryEsdb();
      const store = open(esdb, { namespace: 'ns_' });
      const claimReads = (): number => esdb.streamReads.filter((s) => s.includes(CLAIM_PREFIX)).length;
      try {
        await store.append('order-1', makeEvents('a', 3), NO_STREAM);
        expect(claimReads()).toBe(0);
        expect(await store.append('order-1', makeEvents('a', 3), NO_STREAM)).toMatchObject({ nextExpectedRevision: 2 });
        expect(claimReads()).toBe(3);
      } finally {
        await store.close();
      }
    });

    it('refuses a stream outside its prefixes', async () => {
      const store = open(new InMemoryEsdb(), { streamPrefixes: ['registry-'] });
      try {
        await expect(store.append('order-1', makeEvents('a', 1), NO_STREAM)).rejects.toThrow(/outside this store/);
        expect(await store.append('registry-host-a', makeEvents('a', 1), NO_STREAM)).toMatchObject({ nextExpectedRevision: 0 });
      } finally {
        await store.close();
      }
    });
  });

  describe('two stores on one server, as two processes are', () => {
    it('number the events alike and see each other’s appends, the live subscription waking the reader', async () => {
      const esdb = new InMemoryEsdb();
      // A poll interval longer than the wait: only the live subscription can wake the reader in time.
      const writer = open(esdb, { namespace: 'ns_' });
      const reader = open(esdb, { namespace: 'ns_', pollIntervalMs: 60_000 });
      try {
        await writer.append('order-1', makeEvents('a', 2), NO_STREAM);
        const received: RecordedEvent[] = [];
        reader.subscribeAll((batch) => void received.push(...batch), { from: 0 });
        await waitFor(() => received.length >= 2, 2000, 'the history');
        await sleep(20);
        await writer.append('order-2', makeEvents('b', 1), NO_STREAM);
        await waitFor(() => received.length >= 3, 2000, 'the live event');
        expect(received.map((e) => e.id)).toEqual(['a-0', 'a-1', 'b-0']);
        expect(received).toEqual(await writer.readAll(0, 10));
        expect((await reader.readStream('order-2'))[0]?.position).toBe(received[2]?.position);
        // The writer's append answers the same position the reader gives it.
        expect(await reader.append('order-2', makeEvents('b', 1), NO_STREAM)).toEqual({ nextExpectedRevision: 0, position: received[2]?.position });
      } finally {
        await reader.close();
        await writer.close();
      }
    });

    it('let the second of two racing redeliveries with ANY be a no-op (the server does not dedupe here)', async () => {
      const esdb = new InMemoryEsdb();
      const one = open(esdb, { namespace: 'ns_' });
      const two = open(esdb, { namespace: 'ns_' });
      try {
        const results = await Promise.all([one.append('order-1', makeEvents('a', 2), 'any'), two.append('order-1', makeEvents('a', 2), 'any')]);
        const read = await one.readStream('order-1');
        expect(read).toHaveLength(2);
        expect(results).toEqual([{ nextExpectedRevision: 1, position: read[1]?.position }, { nextExpectedRevision: 1, position: read[1]?.position }]);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });

  describe('a live subscription to $all that drops', () => {
    it('is resubscribed after a back-off and no event is lost', async () => {
      const esdb = new InMemoryEsdb();
      const errors: unknown[] = [];
      const store = open(esdb, { namespace: 'ns_', pollIntervalMs: 60_000, onLiveSubscriptionError: (e) => errors.push(e) });
      const other = open(esdb, { namespace: 'ns_' });
      try {
        const received: RecordedEvent[] = [];
        store.subscribeAll((batch) => void received.push(...batch), { from: 0 });
        await waitFor(() => esdb.subscriptions === 1, 2000, 'the live subscription');
        esdb.dropLiveSubscriptions();
        await other.append('order-1', makeEvents('a', 3), NO_STREAM);
        await waitFor(() => received.length >= 3, 3000, 'the events appended while it was down');
        expect(esdb.subscriptions).toBe(2);
        expect(errors).toHaveLength(1);
        await other.append('order-1', makeEvents('b', 1), 2);
        await waitFor(() => received.length >= 4, 2000, 'a live event after the resubscription');
        expect(received.map((e) => e.id)).toEqual(['a-0', 'a-1', 'a-2', 'b-0']);
      } finally {
        await store.close();
        await other.close();
      }
    });
  });

  describe('a server restarting under a subscription', () => {
    it('is retried with back-off and delivery resumes in order', async () => {
      const esdb = new InMemoryEsdb();
      const store = open(esdb, { namespace: 'ns_' });
      try {
        await store.append('order-1', makeEvents('a', 2), NO_STREAM);
        const received: RecordedEvent[] = [];
        const errors: unknown[] = [];
        esdb.failingReads = 3;
        store.subscribeAll((batch) => void received.push(...batch), { from: 0, onError: (e) => errors.push(e) });
        await waitFor(() => received.length >= 2, 5000, 'the events after the restart');
        expect(received.map((e) => e.id)).toEqual(['a-0', 'a-1']);
        expect(errors).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('reports to onError once the retries are used up', async () => {
      const esdb = new InMemoryEsdb();
      const store = open(esdb, { namespace: 'ns_', subscriptionRetries: 1 });
      try {
        const errors: unknown[] = [];
        esdb.failingReads = 5;
        store.subscribeAll(() => undefined, { from: 0, onError: (e) => errors.push(e) });
        await waitFor(() => errors.length >= 1, 5000, 'onError');
        expect(errors[0]).toMatchObject({ type: 'unavailable' });
      } finally {
        await store.close();
      }
    });
  });

  describe('100,000 events appended', () => {
    it('leave the adapter holding what it held after the first 1,000: nothing per event', async () => {
      const esdb = new InMemoryEsdb();
      esdb.noise = false;
      const store = open(esdb, { namespace: 'ns_', pageSize: 1000 });
      try {
        let revision = NO_STREAM;
        const appendThousand = async (n: number): Promise<void> => {
          revision = (await store.append(`order-${n % 7}`, makeEvents(`e${n}`, 1000), n < 7 ? NO_STREAM : 'any')).nextExpectedRevision;
        };
        await appendThousand(0);
        await store.readAll(0, 10);
        const before = heldEntries(store, esdb);
        for (let n = 1; n < 100; n++) await appendThousand(n);
        expect(revision).toBeGreaterThan(0);
        expect(await store.readAll(0, 5)).toHaveLength(5);
        expect((await store.readByIds('order-3', ['e3-999', 'e11-0'])).map((e) => e.id)).toEqual(['e3-999']);
        expect(heldEntries(store, esdb)).toBe(before);
      } finally {
        await store.close();
      }
    }, 120_000);
  });
});

/** Entries of every Map, Set and array reachable from the adapter, the client (the server's side) left out. */
function heldEntries(store: object, esdb: InMemoryEsdb): number {
  const seen = new Set<unknown>([esdb]);
  let entries = 0;
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      entries += value.size;
      for (const [k, v] of value) {
        visit(k);
        visit(v);
      }
    } else if (value instanceof Set || Array.isArray(value)) {
      entries += value instanceof Set ? value.size : value.length;
      for (const v of value) visit(v);
    } else {
      for (const v of Object.values(value)) visit(v);
    }
  };
  const { client, ...own } = store as { client: unknown };
  void client;
  visit(own);
  return entries;
}
