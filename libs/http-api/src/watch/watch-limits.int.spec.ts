import { connect, type Socket } from 'node:net';
import { SqliteEventStore } from '@ifreg/event-store';
import { Recorder, until, WatchServer, Watcher } from '../testing/watch-test-support';

/* The limits of GET /v1/watch on a real server: how many streams, how far behind, heartbeats. */

let store: SqliteEventStore;
let server: WatchServer | undefined;
const closers: Array<() => void> = [];

beforeEach(() => {
  store = new SqliteEventStore({ path: ':memory:' });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.stop();
  server = undefined;
  await store.close();
});

function watcher(path: string): Watcher {
  const opened = new Watcher(`${server?.url ?? ''}${path}`);
  closers.push(() => opened.close());
  return opened;
}

/** A client that asks for a watch and then never reads a byte. */
function stalledClient(path: string): Socket {
  const { port } = new URL(server?.url ?? '');
  const socket = connect(Number(port), '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
  socket.on('error', () => undefined);
  closers.push(() => socket.destroy());
  return socket;
}

describe('a replica serving IFREG_WATCH_MAX_STREAMS streams', () => {
  it('refuses one more with 503 and a reason, counts it, and accepts again once a stream has closed', async () => {
    // given
    server = await WatchServer.start(store, { maxStreams: 2 });
    const first = watcher('/v1/watch?scope=a');
    await Promise.all([first.answered, watcher('/v1/watch').answered]);
    // when
    const refused = await watcher('/v1/watch?scope=b').answered;
    // then
    expect(refused).toEqual({ status: 503, type: 'application/json; charset=utf-8', body: { error: 'TooManyWatchers', reason: expect.stringContaining('IFREG_WATCH_MAX_STREAMS') } });
    expect(await server.metric('ifreg_watch_refused_total')).toBe(1);
    // when: a client goes away
    first.close();
    await until(() => 'the stream count back to 1', async () => (await server?.metric('ifreg_watch_streams')) === 1);
    // then
    expect((await watcher('/v1/watch?scope=b').answered).status).toBe(200);
  });
});

describe('a client that stops reading', () => {
  it('is cut off once more than IFREG_WATCH_MAX_BUFFERED_BYTES behind and counted, while the other watcher of its scope gets every change', async () => {
    // given
    server = await WatchServer.start(store, { maxBufferedBytes: 256 * 1024 });
    const recorder = new Recorder(store);
    stalledClient('/v1/watch?scope=s');
    const reader = watcher('/v1/watch?scope=s');
    await reader.answered;
    await until(() => 'both streams open', async () => (await server?.metric('ifreg_watch_streams')) === 2);
    // when: changes in small steps the reader keeps up with, until the stalled one is cut off
    const positions: number[] = [];
    for (let step = 0; step < 400 && (await server.metric('ifreg_watch_slow_disconnects_total')) === 0; step++) {
      positions.push(...(await recorder.register('s', 100)));
      await until(() => `the reader at ${positions.at(-1)}, not ${reader.lastId}`, () => reader.lastId === positions.at(-1));
    }
    // then
    expect(await server.metric('ifreg_watch_slow_disconnects_total')).toBe(1);
    await until(() => 'the stalled stream closed', async () => (await server?.metric('ifreg_watch_streams')) === 1);
    expect(reader.frames.map((f) => f.id)).toEqual(positions);
  });
});

describe('an idle stream', () => {
  it('gets a keep-alive comment every IFREG_WATCH_HEARTBEAT_MS', async () => {
    server = await WatchServer.start(store, { heartbeatMs: 100 });
    const idle = watcher('/v1/watch?scope=quiet');
    await idle.answered;
    await until(() => `two keep-alives, got comments ${JSON.stringify(idle.comments)}`, () => idle.comments.filter((c) => c === 'keep-alive').length >= 2);
  });
});
