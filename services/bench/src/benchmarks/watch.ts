import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Figure } from '../measure';
import type { BenchContext } from '../context';
import { bareWatchServerMain, serviceMain, watchLoadMain } from '../support/paths';
import { dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';
import { ServiceProcess } from '@ifreg/testing';
import type { LoopDelay } from '../support/loop-delay';
import type { Timings, WatchLoadPlan, WatchLoadResult } from '../support/watch-load-plan';

/**
 * 10,000 watchers over 1,000 scopes and 10 of every scope; registrations at a fixed rate,
 * first with the 10 all-scope watchers alone (to 100 scopes of their own), then with all.
 */
const PLAN = {
  scopes: 1000, perScope: 10, everyScope: 10, quietScopes: 100, rate: 500, warmupSeconds: 2, fewSeconds: 5, seconds: 10,
  burst: 2000, burstConcurrency: 32, openConcurrency: 1000, slices: 5, retryMs: 1000,
};
const WATCHERS = PLAN.scopes * PLAN.perScope + PLAN.everyScope;
const LONG_MS = 600_000;

/** What the load client runs against: where it watches, where it posts, whose RSS it reads. */
interface Target {
  readonly watchUrl: string;
  readonly postUrl: string;
  readonly server: () => ServiceProcess;
  /** Stops the watch server and starts it again on the same port (absent: no restart phase). */
  readonly restart?: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A process started and ready (its `ready` log line); answers it and that line. */
async function start(name: string, script: string, env: Record<string, string>, ready: string, ctx: BenchContext): Promise<{ process: ServiceProcess; entry: Record<string, unknown> }> {
  const process = new ServiceProcess(name, script, { env: { IFREG_REGISTER_HOST: 'false', IFREG_LOG_LEVEL: 'info', ...env }, ...(ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir }) });
  try {
    return { process, entry: await process.waitForLog(ready, 120_000) };
  } catch (error) {
    await process.stop();
    throw error;
  }
}

/** An ifreg service on a port of its own, which `restart` stops and starts again on that port. */
async function restartable(service: 'query' | 'all-in-one', env: Record<string, string>, ctx: BenchContext): Promise<Target> {
  const port = await freePort();
  const settings = { ...env, IFREG_HTTP_PORT: String(port) };
  const ready = service === 'query' ? 'query service caught up' : 'ifreg is ready';
  let current = (await start(service, serviceMain(service), settings, ready, ctx)).process;
  const url = `http://127.0.0.1:${port}`;
  return {
    watchUrl: url,
    postUrl: url,
    server: () => current,
    restart: async () => {
      await current.stop();
      current = (await start(service, serviceMain(service), settings, ready, ctx)).process;
    },
    stop: async () => void (await current.stop()),
  };
}

/** The query service holds the watchers; an all-in-one on the same schema takes the posts. */
async function queryOverPostgres(ctx: BenchContext, schema: string): Promise<Target> {
  const store = { IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: postgresUrl(), IFREG_POSTGRES_SCHEMA: schema };
  const writer = await start('writer', serviceMain('all-in-one'), { ...store, IFREG_HTTP_PORT: '0' }, 'ifreg is ready', ctx);
  try {
    const query = await restartable('query', store, ctx);
    return {
      ...query,
      postUrl: new URL(String(writer.entry['url'])).origin,
      stop: async () => {
        await query.stop();
        await writer.process.stop();
      },
    };
  } catch (error) {
    await writer.process.stop();
    throw error;
  }
}

async function bare(ctx: BenchContext): Promise<Target> {
  const { process, entry } = await start('bare-watch', bareWatchServerMain, {}, 'bare watch server listening', ctx);
  const url = String(entry['url']);
  return { watchUrl: url, postUrl: url, server: () => process, stop: async () => void (await process.stop()) };
}

/** Runs the load client against a target; restarts the target when the client is ready for it. */
async function load(ctx: BenchContext, name: string, target: Target): Promise<WatchLoadResult> {
  const plan: WatchLoadPlan = { ...PLAN, watchUrl: target.watchUrl, postUrl: target.postUrl, serverPid: target.server().pid, restart: target.restart !== undefined };
  const client = new ServiceProcess('watch-load', watchLoadMain, { env: { BENCH_WATCH_PLAN: JSON.stringify(plan) } });
  const lines = ['watchers open', 'watch load measured', 'ready for restart', 'watchers back', 'watch load done'].map((msg) => {
    const line = client.waitForLog(msg, LONG_MS);
    line.catch(() => undefined); // awaited below, in order
    return line;
  });
  const [open, measured, readyForRestart, back, done] = lines as [typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0], typeof lines[0]];
  try {
    const opened = await open;
    ctx.log(`watch / ${name}: ${WATCHERS.toLocaleString('en-US')} watchers open in ${Number(opened['openSeconds']).toFixed(1)} s`);
    const result = (await measured) as unknown as WatchLoadResult;
    ctx.log(`watch / ${name}: ${phases(result)}`);
    if (target.restart) {
      await readyForRestart;
      await target.restart();
      const ready = Date.now();
      const resumed = await back;
      const afterReady = (Number(resumed['lastAcceptedAt']) - ready) / 1000;
      ctx.log(
        `watch / ${name}: after a restart all ${WATCHERS.toLocaleString('en-US')} watchers resumed with Last-Event-ID, the last ${Number(resumed['seconds']).toFixed(1)} s after their streams ended ` +
          `and ${afterReady.toFixed(1)} s after the service was ready, all within ${Number(resumed['acceptedWithinSeconds']).toFixed(2)} s of the first; attempts ${JSON.stringify(resumed['attempts'])}`,
      );
    }
    const verdict = await done;
    if (verdict['exact'] !== true || verdict['unexpected'] !== 0 || verdict['postFailures'] !== 0) throw new Error(`${name}: watchers did not get exactly their changes: ${JSON.stringify(verdict)}`);
    return result;
  } finally {
    await client.stop();
  }
}

const ms = (values: readonly number[]): string => values.map((v) => v.toFixed(1)).join('/');

/** The p99s of each phase, and the services' own event-loop delay while it ran, for the log. */
function phases(r: WatchLoadResult): string {
  const phase = (label: string, t: Timings): string => {
    const delay = (d: LoopDelay | undefined): string => (d === undefined ? '' : ` p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)}`);
    const loop = t.loopDelay === undefined ? '' : `; loop delay of the watch server${delay(t.loopDelay.watch)}${t.loopDelay.post === undefined ? '' : `, of the writer${delay(t.loopDelay.post)}`}`;
    return `${label}: POST p99 ${ms(t.post.p99)} ms, delivery p99 ${ms(t.delivery.p99)} ms${loop} ms`;
  };
  return `${phase(`${PLAN.everyScope} watchers`, r.few)} | ${phase(`${WATCHERS} watchers`, r.many)}`;
}

async function measure(ctx: BenchContext, name: string, makeTarget: () => Promise<Target>): Promise<WatchLoadResult> {
  const target = await makeTarget();
  try {
    return await load(ctx, name, target);
  } finally {
    await target.stop();
  }
}

function figures(name: string, ours: WatchLoadResult, base: WatchLoadResult): Figure[] {
  const bareLabel = (samples: readonly number[]) => ({ label: 'bare node:http, same frames to the same connections', samples });
  const fewLabel = (samples: readonly number[]) => ({ label: `the same service with the ${PLAN.everyScope} all-scope watchers alone`, samples });
  const perWatcher = (r: WatchLoadResult): number => (r.rssOpen - r.rssBefore) / (r.watchers - PLAN.everyScope);
  const many = `${WATCHERS.toLocaleString('en-US')} watchers`;
  return [
    { name: `${name}: delivery p50 (POST answered → frame arrived), ${many}`, unit: 'ms', samples: ours.many.delivery.p50, baseline: bareLabel(base.many.delivery.p50), higherIsBetter: false },
    { name: `${name}: delivery p99, ${many}`, unit: 'ms', samples: ours.many.delivery.p99, baseline: bareLabel(base.many.delivery.p99), higherIsBetter: false, target: 0.5 },
    { name: `${name}: POST /v1/messages p99 at ${PLAN.rate}/s, ${many}`, unit: 'ms', samples: ours.many.post.p99, baseline: bareLabel(base.many.post.p99), higherIsBetter: false, target: 0.5 },
    { name: `${name}: delivery p99, ${many} against ${PLAN.everyScope}`, unit: 'ms', samples: ours.many.delivery.p99, baseline: fewLabel(ours.few.delivery.p99), higherIsBetter: false },
    { name: `${name}: POST p99, ${many} against ${PLAN.everyScope}`, unit: 'ms', samples: ours.many.post.p99, baseline: fewLabel(ours.few.post.p99), higherIsBetter: false },
    { name: `${name}: one change's first to last arrival p99, ${many}`, unit: 'ms', samples: ours.many.spread.p99, baseline: bareLabel(base.many.spread.p99), higherIsBetter: false },
    { name: `${name}: deliveries/s, ${PLAN.burst.toLocaleString('en-US')} registrations posted ${PLAN.burstConcurrency} at a time`, unit: 'deliveries/s', samples: [ours.burstDeliveriesPerSecond], baseline: bareLabel([base.burstDeliveriesPerSecond]), higherIsBetter: true },
    { name: `${name}: RSS per watcher, ${many}`, unit: 'bytes', samples: [perWatcher(ours)], baseline: bareLabel([perWatcher(base)]), higherIsBetter: false, limit: 20 * 1024 },
  ];
}

/**
 * 10,010 watch streams held by a load client in its own process (10 per scope over 1,000
 * scopes, 10 of every scope), registrations posted at a fixed rate then in a burst, on the
 * query service over PostgreSQL (an all-in-one writer on the same schema takes the posts)
 * and on the all-in-one over SQLite; then each is restarted and every stream resumes at
 * once. Baseline: a bare node:http server writing the same frames to the same connections.
 */
export async function watchBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const base = await measure(ctx, 'bare server', () => bare(ctx));
  const out: Figure[] = [];
  const noPostgres = await postgresUnavailable();
  if (noPostgres === undefined) {
    const schema = freshSchema('watch');
    try {
      out.push(...figures('query service over PostgreSQL', await measure(ctx, 'query service over PostgreSQL', () => queryOverPostgres(ctx, schema)), base));
    } finally {
      await dropSchema(schema);
    }
  } else {
    ctx.log(`watch: PostgreSQL unavailable (${noPostgres}); its figures are skipped`);
  }
  const sqlite = { IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: join(ctx.tmpDir, 'watch.db') };
  out.push(...figures('all-in-one (SQLite)', await measure(ctx, 'all-in-one (SQLite)', () => restartable('all-in-one', sqlite, ctx)), base));
  return out;
}
