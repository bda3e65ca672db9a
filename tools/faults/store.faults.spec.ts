import type { Kafka } from 'kafkajs';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { checkScenario } from './support/check';
import { buildWorkspace, Cleanup, sleep, waitFor } from '@ifreg/testing';
import { PrivatePostgres, freshSchema, privateServerUnavailable, sql } from './support/postgres';
import { figure, scenarioSeed } from './support/random';
import { Supervisor, deployment, startQuery, startRegistrar, type Deployment } from './support/service';
import { FaultProxy } from './support/tcp-proxy';
import { HeadWatcher } from './support/timeline';
import { agentProducer, createTopics, produceSteadily, waitDrained, workload } from './support/workload';

/*
 * Fault scenario 3 (docs/faults-process.md): the PostgreSQL event store fails under a
 * running registrar. A PRIVATE server (initdb'd in a temp dir, libs/event-store's
 * postgres-test-server.ts) is restarted under load; and, through a TCP proxy, an append
 * reaches the server and commits but its reply is lost, so the registrar's client times out,
 * the batch fails, Kafka redelivers it, and the retry must not record anything twice; and
 * the connections are cut while a group append waits (the registrar crashed until fixed).
 */
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const noServer = privateServerUnavailable();
const describeStore = brokers.length > 0 && noServer === undefined ? describe : describe.skip;
if (brokers.length === 0) console.warn('KAFKA_BROKERS is not set: the store fault scenarios are skipped');
if (noServer !== undefined) console.warn(`no private PostgreSQL instance can be started (${noServer}): the store fault scenarios are skipped`);

const log = createLogger({ name: 'faults-store', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
let kafka: Kafka;
let pg: PrivatePostgres | undefined;

beforeAll(async () => {
  if (brokers.length === 0 || noServer !== undefined) return;
  buildWorkspace();
  kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-faults-store' }), log);
  pg = await PrivatePostgres.start();
}, 90_000);
afterEach(() => cleanup.run(), 60_000);
afterAll(async () => {
  await pg?.stop();
}, 60_000);

const server = (): PrivatePostgres => {
  if (!pg) throw new Error('the private PostgreSQL server did not start');
  return pg;
};

/** A deployment on the private server, in a schema of its own (dropped after the test). */
function postgresDeployment(name: string, url: string): Deployment {
  const schema = freshSchema(name);
  cleanup.add(schema, (s) => sql(server().url, `DROP SCHEMA IF EXISTS "${s}" CASCADE`).then(() => undefined), 'schema');
  return deployment(name, brokers.join(','), { IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: url, IFREG_POSTGRES_SCHEMA: schema });
}

/** The store's head, read straight from the server (never through the proxy); undefined while the server is away. */
async function head(schema: string): Promise<number | undefined> {
  try {
    const [row] = await sql<{ head: string }>(server().url, `SELECT coalesce(max(position), 0) AS head FROM "${schema}".events`);
    return Number(row?.head ?? 0);
  } catch {
    return undefined;
  }
}

describeStore('PostgreSQL faults under a running registrar (a private server)', () => {
  it('a server restart under load: the registrar recovers, nothing is lost or recorded twice', async () => {
    // given: a registrar on the private server, and a steady load of 6,000 messages over 12 scopes
    const random = scenarioSeed('store-restart');
    const d = postgresDeployment('restart', server().url);
    const schema = d.store['IFREG_POSTGRES_SCHEMA'] ?? '';
    await createTopics(kafka, d);
    const supervisor = new Supervisor(cleanup, d, await startRegistrar(cleanup, d));
    const messages = workload(random, { scopes: 12, count: 6_000, prefix: 'pgr', remove: 0.1, reannounce: 0.03, boot: 0.003, invalid: 0.02, unreadable: 0.005 });
    const producer = await agentProducer(kafka, d, cleanup);
    const heads = new HeadWatcher(() => head(schema), cleanup);

    // when: the server restarts (pg_ctl restart -m fast: every session is terminated) while messages flow
    const load = produceSteadily(cleanup, producer, messages, { chunk: 60, intervalMs: 40 });
    await waitFor(async () => ((await head(schema)) ?? 0) >= 1_500, 30_000, () => `1,500 events before the restart; registrar:\n${supervisor.registrar.tail()}`);
    const restartAt = Date.now();
    await server().restart();
    const backAt = Date.now();
    await load.done;
    const drainedAt = await waitDrained(kafka, d, 90_000, () => `; registrar:\n${supervisor.registrar.tail()}`);
    supervisor.stop();
    await heads.stop();

    // then: every message recorded once and answered as recorded; the read model agrees
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('store-restart', kafka, d, messages, { queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    const resumedAt = heads.firstGrowthAfter(backAt);
    const figures = {
      messages: messages.length,
      serverDownMs: backAt - restartAt,
      firstAppendAfterServerBackMs: resumedAt === undefined ? undefined : resumedAt - backAt,
      registrarRestartsBySupervisor: supervisor.restarts,
      batchFailuresLogged: supervisor.registrar.count('agent message batch failed; it will be fetched again from the last committed offset'),
      drainedAfterServerBackMs: drainedAt - backAt,
      failedSends: load.result.failedSends,
    };
    figure('store-restart', `${JSON.stringify(figures)}`);
    expect(resumedAt).toBeDefined();
    // (the registrar should also have come through without its supervisor; in some runs it
    // does not, because of the bug the 'connection cut in the middle of a group append' test shows)
  }, 150_000);

  it('an append committed by the server whose reply is lost: the client times out, the redelivered batch records nothing twice', async () => {
    // given: a registrar whose PostgreSQL connections go through a fault proxy, with the default
    // settings: IFREG_POSTGRES_QUERY_TIMEOUT_MS = 10 s bounds each query's wait for its reply.
    // (Before commit b918e51 there was no bound: this scenario found the registrar waiting forever,
    // every partition stalled and /readyz still 200.)
    const random = scenarioSeed('store-lost-reply');
    const proxy = cleanup.add(await FaultProxy.start('127.0.0.1', server().port), (p) => p.close(), 'proxy');
    const d = postgresDeployment('lostreply', `postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    const schema = d.store['IFREG_POSTGRES_SCHEMA'] ?? '';
    await createTopics(kafka, d);
    const registrar = await startRegistrar(cleanup, d);
    const messages = workload(random, { scopes: 8, count: 3_000, prefix: 'pgl', remove: 0.1, reannounce: 0.03, invalid: 0.02, unreadable: 0.005 });
    const producer = await agentProducer(kafka, d, cleanup);

    // when: the next append is let through to the server and its reply black-holed
    const lost = proxy.blackHoleRepliesAfter(`${schema}.append`);
    const load = produceSteadily(cleanup, producer, messages, { chunk: 50, intervalMs: 40 });
    const blackHoled = await lost;
    const hitAt = Date.now();
    // (long before the client gives up: the server commits that append, which we wait to see)
    const ids = eventIdsIn(blackHoled.sent());
    const committedCount = async (): Promise<number> => {
      const [row] = await sql<{ n: string }>(server().url, `SELECT count(*) AS n FROM "${schema}".events WHERE id = ANY($1::text[])`, [ids]);
      return Number(row?.n);
    };
    const committed = { n: 0 };
    for (const deadline = Date.now() + 20_000; (committed.n = await committedCount()) === 0 && Date.now() < deadline; ) await sleep(50);
    await load.done;
    const drainedAt = await waitDrained(kafka, d, 60_000, () => `; registrar:\n${registrar.tail()}`);

    // then: the append was committed although the client never heard so…
    expect(committed.n).toBeGreaterThan(0);
    // …the registrar gave up on it and failed the batch (it did not hang) and went on…
    const failures = registrar.count('agent message batch failed; it will be fetched again from the last committed offset');
    expect(failures).toBeGreaterThan(0);
    expect(registrar.running).toBe(true);
    // …and after the redelivery every message is recorded exactly once and answered as recorded
    const [again] = await sql<{ n: string }>(server().url, `SELECT count(*) AS n FROM "${schema}".events WHERE id = ANY($1::text[])`, [ids]);
    expect(Number(again?.n)).toBe(committed.n);
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('store-lost-reply', kafka, d, messages, { queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    figure('store-lost-reply', `${JSON.stringify({
        messages: messages.length,
        eventsInTheLostAppend: committed.n,
        droppedReplyBytes: proxy.droppedBytes,
        batchFailuresLogged: failures,
        drainedAfterTheLostReplyMs: drainedAt - hitAt,
        headAtEnd: await head(schema),
      })}`,
    );
  }, 120_000);

  // A bug this suite found, fixed since: the group append's connection (pool.connect()) had no
  // 'error' listener, so a connection dropped during a group (a restart, a failover, a cut)
  // was an unhandled 'error' event and killed the registrar ("Connection terminated
  // unexpectedly", exit 1). The restart scenario above hit it in some runs; here it is made
  // certain: the reply to a group's statement is held back (the group's client is checked out
  // and waiting) and the connections are cut.
  it('the connection cut in the middle of a group append: the registrar fails the batch and goes on, without a restart', async () => {
    // given: a registrar through the proxy, warmed up (its scopes cached, so a batch's appends go out in one turn, as one group)
    const random = scenarioSeed('store-cut-group');
    const proxy = cleanup.add(await FaultProxy.start('127.0.0.1', server().port), (p) => p.close(), 'proxy');
    const d = postgresDeployment('cut', `postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    await createTopics(kafka, d);
    const registrar = await startRegistrar(cleanup, d);
    const messages = workload(random, { scopes: 8, count: 2_000, prefix: 'pgc' });
    const producer = await agentProducer(kafka, d, cleanup);
    await producer.send(messages.slice(0, 200));
    await waitDrained(kafka, d, 30_000, () => `; registrar:\n${registrar.tail()}`);
    // when: a group append (one statement, "<schema>.append-group") gets no answer, and then every connection is cut
    const held = proxy.blackHoleRepliesAfter(`${d.store['IFREG_POSTGRES_SCHEMA'] ?? ''}.append-group`);
    await producer.send(messages.slice(200));
    await held;
    proxy.heal();
    proxy.reset();
    // then: it should still run, and drain by itself
    try {
      await waitDrained(kafka, d, 15_000, () => '', () => !registrar.running);
      expect(registrar.running).toBe(true);
    } catch (error) {
      const why = registrar.tail(20).split('\n').filter((l) => /Unhandled|^Error/.test(l));
      figure('store-cut-group', `the registrar ${registrar.running ? 'is still running' : `exited ${JSON.stringify(await registrar.exited)}`}: ${JSON.stringify(why)}`);
      throw error;
    }
    // and every message is recorded exactly once, answered as recorded
    const report = await checkScenario('store-cut-group', kafka, d, messages);
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
  }, 60_000);
});

/** The UUIDs in the bytes of an append (its event ids parameter, and the ids inside the events' JSON). */
function eventIdsIn(bytes: Buffer): string[] {
  return [...new Set(bytes.toString('latin1').match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])];
}
