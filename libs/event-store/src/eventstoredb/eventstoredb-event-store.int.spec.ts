import { EventStoreDBClient } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { NO_STREAM, type RecordedEvent } from '@ifreg/ports';
import { eventStoreContract, makeEvents, waitFor } from '@ifreg/testing';
import { endOfAll } from './client';
import { ORIGINAL_ID_KEY } from './event-mapping';
import { EventStoreDbEventStore } from './eventstoredb-event-store';

// Runs against a real EventStoreDB when EVENTSTORE_URL is set (its user must be allowed to
// read $all: an admin, by default). Without it the suite is reported as skipped, visibly.
const url = process.env.EVENTSTORE_URL;
const optionalDescribe = url ? describe : describe.skip;
if (!url) {
  console.warn(
    "EventStoreDB contract suite skipped: set EVENTSTORE_URL (e.g. esdb://127.0.0.1:2113?tls=false, the compose environment's EventStoreDB)",
  );
}

optionalDescribe(`EventStoreDB at ${url ?? '(EVENTSTORE_URL not set)'}`, () => {
  let client: EventStoreDBClient;
  beforeAll(() => {
    client = EventStoreDBClient.connectionString(url ?? '');
  });
  afterAll(async () => {
    await client.dispose();
  });

  // The server cannot be wiped: each store gets a namespace of its own, and starts counting
  // after the current end of $all, so the contract sees an empty store (positions from 1).
  const freshStore = async (namespace = `ifregtest${randomUUID().replaceAll('-', '').slice(0, 12)}_`): Promise<EventStoreDbEventStore> =>
    new EventStoreDbEventStore({ client, namespace, origin: await endOfAll(client), pollIntervalMs: 100 });

  eventStoreContract('eventstoredb', () => freshStore());

  describe('the events as the server holds them', () => {
    it('have UUID ids, our metadata as given, the original id beside it, and JSON data', async () => {
      const namespace = `ifregraw${randomUUID().slice(0, 8)}_`;
      const store = await freshStore(namespace);
      try {
        const metadata = { correlationId: 'corr-1', causationId: 'msg-1', origin: { topic: 'ifreg.agent-messages', partition: 2, offset: '41' } };
        await store.append('registry-host-a', [{ id: 'not-a-uuid', type: 'BootEpochStarted', data: { scope: 'host-a', epoch: 1 }, metadata }], NO_STREAM);
        const raw = [];
        for await (const resolved of client.readStream(`${namespace}registry-host-a`)) raw.push(resolved.event);
        expect(raw).toHaveLength(1);
        expect(raw[0]).toMatchObject({ type: 'BootEpochStarted', isJson: true, data: { scope: 'host-a', epoch: 1 }, metadata: { ...metadata, [ORIGINAL_ID_KEY]: 'not-a-uuid' } });
        expect(raw[0]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        // Our position is the event's prepare position in the log, plus one.
        expect((await store.readStream('registry-host-a'))[0]).toMatchObject({ id: 'not-a-uuid', metadata, position: Number(raw[0]?.position?.prepare ?? -2n) + 1 });
      } finally {
        await store.close();
      }
    });
  });

  describe('two stores on one namespace, as two processes are', () => {
    it('give the events the same positions and a subscriber on one sees the appends of the other', async () => {
      const namespace = `ifregtwo${randomUUID().slice(0, 8)}_`;
      const origin = await endOfAll(client);
      const writer = new EventStoreDbEventStore({ client, namespace, origin });
      const reader = new EventStoreDbEventStore({ client, namespace, origin, pollIntervalMs: 100 });
      try {
        const received: RecordedEvent[] = [];
        reader.subscribeAll((batch) => void received.push(...batch), { from: 0 });
        await writer.append('order-1', makeEvents('a', 2), NO_STREAM);
        await writer.append('order-2', makeEvents('b', 1), NO_STREAM);
        await waitFor(() => received.length >= 3, 5000, 'the writer events');
        expect(received.map((e) => e.id)).toEqual(['a-0', 'a-1', 'b-0']);
        expect(received).toEqual(await writer.readAll(0, 10));
        expect((await reader.readStream('order-1')).map((e) => e.position)).toEqual(received.slice(0, 2).map((e) => e.position));
      } finally {
        await reader.close();
        await writer.close();
      }
    });
  });
});
