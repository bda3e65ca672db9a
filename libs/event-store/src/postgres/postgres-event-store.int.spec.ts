import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { ANY, ConcurrencyError, NO_STREAM, type EventStore, type RecordedEvent } from '@ifreg/ports';
import { eventStoreContract, increasing, makeEvents, sleep, waitFor } from '@ifreg/testing';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
import { appendV1, createV1Store } from './postgres-v1-store';
import { PrivatePostgres, privateServerUnavailable, unreachableReason } from '@ifreg/testing';

// Against the machine's PostgreSQL (tools/ci/postgres.sh starts it); each test gets a schema of its own.
const url = process.env.IFREG_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const unreachable = unreachableReason(url);
if (unreachable !== undefined && process.env.IFREG_REQUIRE_POSTGRES === '1') {
  throw new Error(`IFREG_REQUIRE_POSTGRES=1 but PostgreSQL at ${url} is unreachable: ${unreachable}`);
}
if (unreachable !== undefined) console.warn(`PostgreSQL at ${url} is unreachable (${unreachable}): its specs are skipped`);
const describePostgres = unreachable === undefined ? describe : describe.skip;

const noPrivateServer = privateServerUnavailable();
if (noPrivateServer !== undefined) console.warn(`no private PostgreSQL instance (${noPrivateServer}): the server-restart spec is skipped`);
const describePrivateServer = noPrivateServer === undefined ? describe : describe.skip;

const freshSchema = (): string => `t_${randomUUID().replaceAll('-', '')}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const positions = (events: readonly RecordedEvent[]): number[] => events.map((e) => e.position);

/**
 * Appends a marker and waits until the subscription delivered it, then takes it out: whatever
 * else the subscription was going to deliver before it (a repeat, say) has arrived by then.
 */
async function untilMarker(store: PostgresEventStore, received: RecordedEvent[]): Promise<void> {
  const [marker] = makeEvents(`marker-${randomUUID()}`, 1);
  if (!marker) throw new Error('no marker event');
  await store.append(`marker-${marker.id}`, [marker], NO_STREAM);
  await waitFor(() => received.some((e) => e.id === marker.id), 10_000, 'the marker event');
  received.splice(received.findIndex((e) => e.id === marker.id), 1);
}

describePostgres('postgres event store', () => {
  let admin: Pool;
  const schemas = new Map<EventStore, string>();
  const open = async (schema: string, options: Partial<PostgresEventStoreOptions> = {}): Promise<PostgresEventStore> => {
    const store = await PostgresEventStore.create({ connectionString: url, schema, pollIntervalMs: 20, maxPollIntervalMs: 500, poolSize: 5, ...options });
    schemas.set(store, schema);
    return store;
  };
  const dispose = async (store: EventStore): Promise<void> => {
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schemas.get(store) ?? 'missing'}" CASCADE`);
    schemas.delete(store);
  };

  beforeAll(() => {
    admin = new Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await admin.end();
  });

  eventStoreContract('postgres', () => open(freshSchema()), dispose);

  describe('a second store opened on an existing schema', () => {
    it('sees the events and continues their positions', async () => {
      const schema = freshSchema();
      const first = await open(schema);
      const second = await open(schema);
      try {
        await first.append('order-1', makeEvents('a', 3), NO_STREAM);
        expect((await second.readStream('order-1')).map((e) => e.id)).toEqual(['a-0', 'a-1', 'a-2']);
        expect(await second.append('order-1', makeEvents('b', 1), 2)).toEqual({ nextExpectedRevision: 3, position: 4 });
        await expect(first.append('order-1', makeEvents('c', 1), 2)).rejects.toBeInstanceOf(ConcurrencyError);
      } finally {
        await first.close();
        await dispose(second);
      }
    });
  });

  describe('an append whose reply does not come within the query timeout', () => {
    it('fails instead of waiting forever, and appending it again after the server committed it records nothing twice', async () => {
      // given: another writer holds the stream's lock, so the append waits on the server
      const schema = freshSchema();
      const store = await open(schema, { queryTimeoutMs: 300 });
      const holder = await admin.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT pg_advisory_xact_lock(hashtext('${schema}'), hashtext('order-1'))`);
        // when
        await expect(store.append('order-1', makeEvents('a', 2), NO_STREAM)).rejects.toThrow(/timeout/i);
        // the server carries on once the lock is free and commits what the client gave up on
        await holder.query('COMMIT');
        for (const deadline = Date.now() + 10_000; (await store.headPosition()) < 2; await sleep(50)) {
          if (Date.now() > deadline) throw new Error('the abandoned append did not commit within 10 s');
        }
        // then: the retry is answered from what is recorded
        expect(await store.append('order-1', makeEvents('a', 2), NO_STREAM)).toEqual({ nextExpectedRevision: 1, position: 2 });
        expect((await store.readAll(0, 10)).map((e) => e.id)).toEqual(['a-0', 'a-1']);
      } finally {
        holder.release();
        await dispose(store);
      }
    });
  });

  describe('four stores on one schema, as four processes, appending single events to their own streams at once', () => {
    it('hand out unique positions, and a fifth store subscribed from 0 receives exactly the order readAll answers', async () => {
      const schema = freshSchema();
      const writers = await Promise.all(range(1, 4).map(() => open(schema)));
      const reader = await open(schema);
      try {
        const received: RecordedEvent[] = [];
        const subscription = reader.subscribeAll((batch) => void received.push(...batch), { from: 0, batchSize: 7 });
        await Promise.all(writers.map(async (writer, w) => {
          for (const [i, event] of makeEvents(`w${w}`, 25).entries()) await writer.append(`order-${w}`, [event], i - 1);
        }));
        await waitFor(() => received.length >= 100, 10_000, 'the 100 events');
        await untilMarker(reader, received);
        await subscription.close();

        expect(received).toHaveLength(100);
        expect(increasing(positions(received))).toBe(true);
        expect(received).toEqual(await reader.readAll(0, 100));
        for (const w of range(0, 3)) {
          const own = received.filter((e) => e.stream === `order-${w}`);
          expect(own.map((e) => e.revision)).toEqual(range(0, 24));
          expect(own.map((e) => e.id)).toEqual(makeEvents(`w${w}`, 25).map((e) => e.id));
        }
        const switches = received.filter((e, i) => i > 0 && e.stream !== received[i - 1]?.stream).length;
        expect(switches).toBeGreaterThan(3);
      } finally {
        await Promise.all(writers.map((w) => w.close()));
        await dispose(reader);
      }
    });
  });

  describe('two stores on one schema, each committing groups of appends to the same streams in opposite orders', () => {
    it('neither deadlocks nor loses an append: every one is recorded once', async () => {
      const schema = freshSchema();
      const [a, b] = await Promise.all([open(schema), open(schema)]);
      if (!a || !b) throw new Error('two stores expected');
      try {
        const streams = range(0, 5).map((s) => `order-${s}`);
        for (const round of range(0, 9)) {
          // One turn of the event loop each: one group (one statement) per store.
          const appends = [
            ...streams.map((stream) => a.append(stream, makeEvents(`a${round}-${stream}`, 2), ANY)),
            ...[...streams].reverse().map((stream) => b.append(stream, makeEvents(`b${round}-${stream}`, 2), ANY)),
          ];
          const settled = await Promise.allSettled(appends);
          expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
        }
        const all = await a.readAll(0, 1000);
        expect(all).toHaveLength(2 * 2 * 6 * 10);
        expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
        for (const stream of streams) expect(all.filter((e) => e.stream === stream).map((e) => e.revision)).toEqual(range(0, 39));
      } finally {
        await b.close();
        await dispose(a);
      }
    });
  });

  describe('concurrent appenders, one of which holds its transaction open while the others commit', () => {
    it('do not wait for it, and a reader neither skips its event nor reads past it before it commits', async () => {
      const schema = freshSchema();
      const store = await open(schema);
      const writers = await Promise.all(range(1, 3).map(() => open(schema)));
      const slow = new Client({ connectionString: url });
      await slow.connect();
      try {
        const received: RecordedEvent[] = [];
        const subscription = store.subscribeAll((batch) => void received.push(...batch), { from: 0, batchSize: 5 });
        await store.append('order-0', makeEvents('a', 1), NO_STREAM);
        await waitFor(() => received.length >= 1, 5000, 'the first event');

        // Another process in the middle of an append: it has taken its position, not committed.
        await slow.query('BEGIN');
        const slowEvent = JSON.stringify([{ id: 'slow-0', type: 'Tested', data: {}, metadata: {} }]);
        const { rows: [slowState] } = await slow.query<{ last_position: string }>(`SELECT * FROM "${schema}".append_events('order-slow', -1, ARRAY['slow-0'], $1)`, [slowEvent]);
        const slowPosition = Number(slowState?.last_position);
        // The others append to their own streams and commit, while it stays open.
        await Promise.all(writers.map(async (writer, w) => {
          for (const [i, event] of makeEvents(`w${w}`, 5).entries()) await writer.append(`order-w${w}`, [event], i - 1);
        }));
        const committed = await store.readAll(0, 100);
        expect(positions(committed)).toEqual([1]);
        expect(slowPosition).toBe(2);

        await slow.query('COMMIT');
        await waitFor(() => received.length >= 17, 5000, 'every event once the slow one committed');
        await subscription.close();
        const all = await store.readAll(0, 100);
        expect(received).toEqual(all);
        expect(all.map((e) => e.id)).toContain('slow-0');
        expect(all.find((e) => e.id === 'slow-0')?.position).toBe(slowPosition);
        expect(positions(all).every((p, i) => i === 0 || p > (positions(all)[i - 1] ?? 0))).toBe(true);
        expect(new Set(all.map((e) => e.id)).size).toBe(17);
      } finally {
        await slow.end();
        await Promise.all(writers.map((w) => w.close()));
        await dispose(store);
      }
    });
  });

  describe('a store written by the version before opaque positions', () => {
    it('is upgraded in place at start: its events keep their positions and new ones come after them', async () => {
      const schema = freshSchema();
      await createV1Store(admin, schema);
      await appendV1(admin, schema, 'order-1', ['a-0', 'a-1']);
      await appendV1(admin, schema, 'order-2', ['b-0']);
      const store = await open(schema);
      try {
        expect((await store.readAll(0, 10)).map((e) => [e.id, e.position])).toEqual([['a-0', 1], ['a-1', 2], ['b-0', 3]]);
        expect(await store.append('order-1', makeEvents('c', 2), 1)).toEqual({ nextExpectedRevision: 3, position: 5 });
        expect(await store.append('order-1', makeEvents('c', 2), 1)).toEqual({ nextExpectedRevision: 3, position: 5 });
        // A second start finds the sequence and leaves it alone.
        const again = await open(schema);
        expect((await again.append('order-2', makeEvents('d', 1), 0)).position).toBe(6);
        await again.close();
        expect(positions(await store.readAll(0, 10))).toEqual([1, 2, 3, 4, 5, 6]);
        expect((await store.readStream('order-1')).map((e) => e.id)).toEqual(['a-0', 'a-1', 'c-0', 'c-1']);
      } finally {
        await dispose(store);
      }
    });
  });
});

describePrivateServer('a postgres store whose server restarts (a private PostgreSQL instance)', () => {
  let server: PrivatePostgres | undefined;
  beforeAll(async () => {
    server = await PrivatePostgres.start();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);

  it('keeps its subscription going from the last delivered position, losing and reordering nothing', async () => {
    if (!server) throw new Error('the private server did not start');
    // Two stores, as two processes. The reader polls far apart: the writer's events after
    // the restart reach it quickly only if its LISTEN connection came back.
    const store = await PostgresEventStore.create({ connectionString: server.url });
    const reader = await PostgresEventStore.create({ connectionString: server.url, pollIntervalMs: 15_000, maxPollIntervalMs: 15_000 });
    try {
      const received: RecordedEvent[] = [];
      const errors: unknown[] = [];
      const subscription = reader.subscribeAll((batch) => void received.push(...batch), { from: 0, batchSize: 7, onError: (e) => errors.push(e) });
      const expected: string[] = [];
      let failedAppends = 0;
      // One writer, 3 events per append; an append cut off by the restart is retried with the
      // same ids and expected revision, which is a no-op if it had committed.
      const appendAll = async (): Promise<void> => {
        const revisions = new Map<string, number>();
        for (let i = 0; i < 60; i++) {
          const stream = `order-${i % 3}`;
          const events = makeEvents(`e${i}`, 3);
          const revision = revisions.get(stream) ?? NO_STREAM;
          for (;;) {
            try {
              revisions.set(stream, (await store.append(stream, events, revision)).nextExpectedRevision);
              break;
            } catch (error) {
              if (error instanceof ConcurrencyError) throw error;
              failedAppends += 1;
              await sleep(50);
            }
          }
          expected.push(...events.map((e) => e.id));
          await sleep(10);
        }
      };
      const appending = appendAll();
      await waitFor(() => received.length >= 30, 10_000, 'events before the restart');
      await server.restart();
      const restartedAt = received.length;
      await appending;
      await waitFor(() => received.length >= 180, 10_000, 'every event after the restart');
      await untilMarker(store, received);
      await subscription.close();

      expect(failedAppends).toBeGreaterThan(0);
      expect(restartedAt).toBeLessThan(180);
      expect(errors).toEqual([]);
      expect(received).toHaveLength(180);
      expect(increasing(positions(received))).toBe(true);
      expect(received.map((e) => e.id)).toEqual(expected);
    } finally {
      await reader.close();
      await store.close();
    }
  }, 60_000);
});
