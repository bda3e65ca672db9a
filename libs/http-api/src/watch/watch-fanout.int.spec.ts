import { SqliteEventStore } from '@ifreg/event-store';
import { Recorder, until, WatchServer, Watcher, type Frame } from '../testing/watch-test-support';

/*
 * Many watchers of many scopes on one real server (fastify on a socket, one client socket
 * per watcher): each gets its scope's changes and nothing else, in order, once, also when
 * they all resume at once with Last-Event-ID after the server restarted.
 */

const SCOPES = 1000;
const scopeOf = (i: number): string => `scope-${i}`;

let store: SqliteEventStore;
let server: WatchServer | undefined;
const watchers: Watcher[] = [];

beforeEach(() => {
  store = new SqliteEventStore({ path: ':memory:' });
});

afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.close();
  await server?.stop();
  server = undefined;
  await store.close();
});

/** Opens one watcher per scope plus `everyScope` all-scope watchers, all answered 200. */
async function watchAll(url: string, resumeFrom?: readonly Watcher[]): Promise<Watcher[]> {
  const opened = Array.from({ length: SCOPES + 2 }, (_, i) => {
    const path = i < SCOPES ? `/v1/watch?scope=${scopeOf(i)}` : '/v1/watch';
    return new Watcher(`${url}${path}`, resumeFrom?.[i]?.lastId);
  });
  watchers.push(...opened);
  const answers = await Promise.all(opened.map((w) => w.answered));
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  return opened;
}

/** Registers `rounds` interfaces in every scope, scopes interleaved; answers each scope's positions. */
async function registerEverywhere(recorder: Recorder, rounds: number): Promise<number[][]> {
  const positions: number[][] = Array.from({ length: SCOPES }, () => []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < SCOPES; i++) positions[i]?.push(...(await recorder.register(scopeOf(i))));
  }
  return positions;
}

const expected = (positions: readonly number[], scope: string): Frame[] => positions.map((id) => ({ id, event: 'registered', scope }));

/** Waits until every watcher is at or past its last expected change, then compares everything it got. */
async function expectExactly(opened: readonly Watcher[], positions: readonly number[][]): Promise<void> {
  const all = positions.flat().sort((a, b) => a - b);
  const wanted = (i: number): number[] => (i < SCOPES ? (positions[i] ?? []) : all);
  const reached = (w: Watcher, i: number): boolean => (w.lastId ?? 0) >= (wanted(i).at(-1) ?? 0);
  await until(
    () => `${opened.filter((w, i) => !reached(w, i)).length} watchers without their last change`,
    () => opened.every(reached),
  );
  const wrong = opened.flatMap((w, i) => {
    const want = i < SCOPES ? expected(wanted(i), scopeOf(i)) : wanted(i);
    const got = i < SCOPES ? w.frames : w.frames.map((f) => f.id);
    return JSON.stringify(got) === JSON.stringify(want) ? [] : [{ watcher: i, got, want }];
  });
  expect(wrong.slice(0, 3)).toEqual([]);
}

describe(`${SCOPES} watchers of ${SCOPES} scopes and 2 of every scope`, () => {
  it('each receive exactly their changes in order, and after a restart resume with Last-Event-ID with exactly the ones they missed', async () => {
    // given
    const recorder = new Recorder(store);
    server = await WatchServer.start(store);
    const first = await watchAll(server.url);
    // when
    const live = await registerEverywhere(recorder, 2);
    // then
    await expectExactly(first, live);

    // given: the server restarts (ending every stream), and changes are recorded while it is down
    await server.stop();
    server = undefined;
    await until(() => `${first.filter((w) => !w.ended).length} streams still open`, () => first.every((w) => w.ended));
    const missed = await registerEverywhere(recorder, 2);
    server = await WatchServer.start(store);
    // when: everyone resumes at once, then more changes come
    const resumed = await watchAll(server.url, first);
    const after = await registerEverywhere(recorder, 1);
    // then
    await expectExactly(resumed, missed.map((p, i) => [...p, ...(after[i] ?? [])]));
    expect(await server.metric('ifreg_watch_deliveries_total')).toBe(resumed.reduce((n, w) => n + w.frames.length, 0));
  }, 120_000);
});
