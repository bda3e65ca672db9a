import '@ifreg/platform/require-supported-node';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Arrivals } from './support/arrivals';
import { LoadPoster } from './support/load-poster';
import { LoadWatcher } from './support/load-watcher';
import { loopDelay } from './support/loop-delay';
import { sleep, waitFor } from '@ifreg/testing';
import { deliveryRate, reconnectAll, timings, verify } from './support/watch-load-measures';
import type { WatchLoadPlan, WatchLoadResult } from './support/watch-load-plan';

/*
 * The watch benchmark's load client, a process of its own (npm run bench -- watch spawns it):
 * it holds the watch streams, posts registrations, and times both with one clock. Its plan
 * comes in BENCH_WATCH_PLAN; it reports on stdout as JSON lines, like the services.
 */

const say = (msg: string, fields: object = {}): void => console.log(JSON.stringify({ msg, ...fields }));

function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? Number.NaN) * 1024;
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++] as T);
  }));
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.env['BENCH_WATCH_PLAN'] ?? '{}') as WatchLoadPlan;
  const scoped = plan.scopes * plan.perScope;
  const total = scoped + plan.everyScope;
  // Node raises its soft limit of open files to the hard one at start-up; check it sufficed.
  if (openFilesLimit() < total + 200) throw new Error(`open files limit ${openFilesLimit()} is below the ${total} watch streams + 200; raise ulimit -Hn`);
  // Seqs, in posting order: with the all-scope watchers alone (to quiet scopes), then with all, a burst, after the restart.
  const warm = plan.rate * plan.warmupSeconds;
  const few = { first: 0, measured: warm, end: warm + plan.rate * plan.fewSeconds };
  const many = { first: few.end, measured: few.end + warm, end: few.end + warm + plan.rate * plan.seconds };
  const burst = { first: many.end, end: many.end + plan.burst };
  const posts = burst.end + (plan.restart ? plan.scopes : 0);
  const scopeName = (i: number): string => `watch-${i}`;
  const quiet = (seq: number): number => plan.scopes + (seq % plan.quietScopes);
  const watched = (seq: number): number => seq % plan.scopes;
  const poster = new LoadPoster(plan.postUrl, posts, scopeName);
  const arrivals = new Arrivals(posts * (plan.perScope + plan.everyScope) + 1000);
  const ended: LoadWatcher[] = [];
  const onFrame = (seq: number, at: number): void => arrivals.add(seq, at);
  const watcher = (scope: string | undefined): LoadWatcher => new LoadWatcher(plan.watchUrl, scope, onFrame, (w) => ended.push(w));
  const everyScope = Array.from({ length: plan.everyScope }, () => watcher(undefined));
  const scopedWatchers = Array.from({ length: scoped }, (_, i) => watcher(scopeName(i % plan.scopes)));
  const watchers = [...everyScope, ...scopedWatchers];
  const delivered = async (end: number, what: string): Promise<void> => {
    let expected = 0;
    for (let seq = 0; seq < end; seq++) expected += (poster.scopeOf[seq]! < plan.scopes ? plan.perScope : 0) + plan.everyScope;
    await waitFor(() => arrivals.count >= expected, 120_000, () => `${what}: ${arrivals.count} of ${expected} deliveries`, 50);
  };

  // Every scope exists (and the registrar has it in memory) before anything is measured.
  let from = 0;
  await pool(Array.from({ length: plan.scopes + plan.quietScopes }, (_, i) => i), 32, async (i) => {
    const answer = await poster.register(i, `p${i}`, true);
    from = Math.max(from, (JSON.parse(answer.body) as { position: number }).position);
  });
  const open = async (list: readonly LoadWatcher[]): Promise<void> => {
    const refused: number[] = [];
    await pool(list, plan.openConcurrency, async (w) => {
      const status = await w.connect(from);
      if (status !== 200) refused.push(status);
    });
    if (refused.length > 0) throw new Error(`${refused.length} watches refused, e.g. ${refused[0]}`);
  };

  // The services' own view of a phase: their event-loop delay while it ran.
  const delays = async () => ({ watch: await loopDelay(plan.watchUrl), post: plan.postUrl === plan.watchUrl ? undefined : await loopDelay(plan.postUrl) });
  await open(everyScope);
  await poster.atRate(few.first, few.measured - few.first, plan.rate, quiet);
  await delays();
  await poster.atRate(few.measured, few.end - few.measured, plan.rate, quiet);
  await delivered(few.end, 'the posts with the all-scope watchers alone');
  const fewDelays = await delays();
  const rssBefore = rssOf(plan.serverPid);
  const openStarted = performance.now();
  await open(scopedWatchers);
  const openSeconds = (performance.now() - openStarted) / 1000;
  await sleep(2000);
  const rssOpen = rssOf(plan.serverPid);
  say('watchers open', { watchers: total, openSeconds, rssBefore, rssOpen });

  await poster.atRate(many.first, many.measured - many.first, plan.rate, watched);
  await delays();
  await poster.atRate(many.measured, many.end - many.measured, plan.rate, watched);
  await delivered(many.end, 'the fixed-rate posts');
  const manyDelays = await delays();
  await poster.asFastAs(burst.first, burst.end - burst.first, plan.burstConcurrency, watched);
  await delivered(burst.end, 'the burst');
  const result: WatchLoadResult = {
    watchers: total,
    openSeconds,
    rssBefore,
    rssOpen,
    few: { ...timings(poster, arrivals, few.measured, few.end, plan.slices), loopDelay: fewDelays },
    many: { ...timings(poster, arrivals, many.measured, many.end, plan.slices), loopDelay: manyDelays },
    burstDeliveriesPerSecond: deliveryRate(poster, arrivals, burst.first, burst.end),
    postFailures: poster.failures,
  };
  say('watch load measured', result);

  if (plan.restart) {
    say('ready for restart');
    await waitFor(() => ended.length === watchers.length, 120_000, () => `streams ended: ${ended.length} of ${watchers.length}`, 50);
    say('watchers back', await reconnectAll(watchers, plan.retryMs));
    await poster.atRate(burst.end, posts - burst.end, plan.rate, watched);
    await delivered(posts, 'the posts after the restart');
  }
  say('watch load done', { ...verify(watchers, poster, posts), unexpected: arrivals.unexpected, postFailures: poster.failures });
  for (const w of watchers) w.close();
  poster.close();
}

main().catch((error: unknown) => {
  console.error('watch load failed:', error);
  process.exit(1);
});
