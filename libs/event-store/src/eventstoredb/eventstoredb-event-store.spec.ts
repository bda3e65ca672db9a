import { NO_STREAM, type RecordedEvent } from '@ifreg/ports';
import { eventStoreContract, makeEvents, sleep, waitFor } from '@ifreg/testing';
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
    it('numbers only our events, from 1, also without an origin', async () => {
      const esdb = new InMemoryEsdb();
      await esdb.write('foreign-1');
      await esdb.write('$settings', '$settings');
      const store = open(esdb, { namespace: 'ns_' });
      try {
        await store.append('order-1', makeEvents('a', 2), NO_STREAM);
        await esdb.write('ns2_order-1');
        await store.append('order-2', makeEvents('b', 1), NO_STREAM);
        expect((await store.readAll(0, 10)).map((e) => [e.stream, e.id, e.position])).toEqual([
          ['order-1', 'a-0', 1], ['order-1', 'a-1', 2], ['order-2', 'b-0', 3],
        ]);
        expect(await store.headPosition()).toBe(3);
      } finally {
        await store.close();
      }
    });

    it('refuses a stream outside its prefixes', async () => {
      const store = open(new InMemoryEsdb(), { streamPrefixes: ['registry-'] });
      try {
        await expect(store.append('order-1', makeEvents('a', 1), NO_STREAM)).rejects.toThrow(/outside this store/);
        expect(await store.append('registry-host-a', makeEvents('a', 1), NO_STREAM)).toEqual({ nextExpectedRevision: 0, position: 1 });
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
        expect(received.map((e) => [e.id, e.position])).toEqual([['a-0', 1], ['a-1', 2], ['b-0', 3]]);
        expect((await reader.readStream('order-2'))[0]?.position).toBe(3);
        // The writer's append answers the same position the reader gives it.
        expect(await reader.append('order-2', makeEvents('b', 1), NO_STREAM)).toEqual({ nextExpectedRevision: 0, position: 3 });
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
        expect(results).toEqual([{ nextExpectedRevision: 1, position: 2 }, { nextExpectedRevision: 1, position: 2 }]);
        expect(await one.readStream('order-1')).toHaveLength(2);
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
        expect(received.map((e) => e.position)).toEqual([1, 2, 3, 4]);
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
        expect(received.map((e) => e.position)).toEqual([1, 2]);
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
});
