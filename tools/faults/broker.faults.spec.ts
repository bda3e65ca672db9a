import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { SqliteEventStore } from '@ifreg/event-store';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { checkScenario } from './support/check';
import { buildWorkspace, Cleanup, type ServiceProcess, sleep, tempDir, waitFor } from '@ifreg/testing';
import { PrivateKafka } from './support/kafka-broker';
import { figure, scenarioSeed } from './support/random';
import { Supervisor, deployment, startQuery, startRegistrar, type Deployment } from './support/service';
import { HeadWatcher } from './support/timeline';
import { agentProducer, createTopics, produceSteadily, waitDrained, workload } from './support/workload';

/*
 * Fault scenario 2 (docs/faults-process.md): the broker and the consumer group.
 * - A PRIVATE broker (deploy/kafka on ports of its own; the shared one on 9092 is never
 *   touched) is stopped cleanly, then crashed, under load, and restarted on its storage.
 *   The registrar runs under a supervisor that restarts it if it exits; the figures say
 *   whether it had to.
 * - Two registrars of one group share the work while messages flow; one is SIGKILLed (the
 *   other takes its partitions over once the session times out), then a third joins.
 */
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
if (brokers.length === 0) console.warn('KAFKA_BROKERS is not set: the broker fault scenarios are skipped');

const log = createLogger({ name: 'faults-broker', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();

beforeAll(() => {
  if (brokers.length > 0) buildWorkspace();
});
afterEach(() => cleanup.run(), 90_000);

const JOINED = 'Consumer has joined the group';
const CRASHED = 'agent message consumer crashed';

/** Follows the SQLite store's head from a connection of our own. */
function watchStore(d: Deployment): HeadWatcher {
  const store = cleanup.add(new SqliteEventStore({ path: d.store['IFREG_SQLITE_PATH'] ?? '' }), (s) => s.close(), 'store reader');
  return new HeadWatcher(() => store.headPosition(), cleanup);
}

describeKafka('broker faults', () => {
  it('a private broker stopped (SIGTERM), then crashed (SIGKILL), under load and restarted: the registrar recovers, nothing lost or recorded twice', async () => {
    // given: a private broker, a supervised registrar, and a steady load of 6,000 messages (~500/s)
    const random = scenarioSeed('broker-restart');
    const broker = cleanup.add(await PrivateKafka.start(), (b) => b.destroy(), 'private broker');
    const kafka: Kafka = createKafka(kafkaSettings({ brokers: [broker.bootstrap], clientId: 'ifreg-faults-broker' }), log);
    const d = deployment('broker', broker.bootstrap, { IFREG_SQLITE_PATH: join(tempDir(cleanup), 'events.db') });
    await createTopics(kafka, d);
    const supervisor = new Supervisor(cleanup, d, await startRegistrar(cleanup, d));
    const messages = workload(random, { scopes: 12, count: 6_000, prefix: 'brk', remove: 0.1, reannounce: 0.03, boot: 0.002, invalid: 0.02, unreadable: 0.005 });
    const producer = await agentProducer(kafka, d, cleanup);
    const heads = watchStore(d);
    const load = produceSteadily(cleanup, producer, messages, { chunk: 50, intervalMs: 100 });

    // when: twice, once the registrar has recorded 500 more events, the broker goes away for 1–3 s and comes back
    const outages: Record<string, unknown>[] = [];
    const brokerBackAt: number[] = [];
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const target = heads.head + 500;
      await waitFor(() => heads.head >= target, 60_000, () => `the registrar to record ${target} events (${heads.head} so far); output:\n${supervisor.registrar.tail()}`);
      const stopAt = Date.now();
      await broker.stop(signal);
      const downAt = Date.now();
      const downMs = random.int(1_000, 3_000);
      await sleep(downMs);
      await broker.resume();
      const upAt = Date.now();
      const restartsBefore = supervisor.restarts.length;
      const crashesBefore = supervisor.registrar.count(CRASHED);
      await waitFor(() => heads.firstGrowthAfter(upAt) !== undefined || load.result.sent === messages.length, 90_000, () => `the registrar to record again after the broker came back; output:\n${supervisor.registrar.tail()}`);
      brokerBackAt.push(upAt);
      outages.push({
        signal,
        stopMs: downAt - stopAt,
        brokerAwayMs: upAt - downAt,
        brokerStartMs: upAt - downAt - downMs,
        recordedAtStop: heads.headAt(stopAt),
        registrarRestarts: supervisor.restarts.length - restartsBefore,
        consumerRestartsByItself: supervisor.registrar.count(CRASHED) - crashesBefore,
        lastConsumerError: String((supervisor.registrar.last(CRASHED)?.['err'] as { message?: string } | undefined)?.message ?? ''),
      });
    }
    await load.done;
    const drainedAt = await waitDrained(kafka, d, 120_000, () => `; registrar:\n${supervisor.registrar.tail()}`);
    supervisor.stop();
    // Read once everything is recorded: the wait above may end with the load sent but the
    // registrar not yet recording again (seen in CI after a 13 s broker restart).
    outages.forEach((outage, i) => {
      const upAt = brokerBackAt[i]!;
      const resumedAt = heads.firstGrowthAfter(upAt);
      outage['firstEventAfterBrokerBackMs'] = resumedAt === undefined ? undefined : resumedAt - upAt;
    });

    // then: everything handled, each message recorded once and answered as recorded
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('broker-restart', kafka, d, messages, { queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    figure('broker-restart', `${JSON.stringify({
        messages: messages.length,
        outages,
        supervisorRestarts: supervisor.restarts,
        failedSends: load.result.failedSends,
        drainedAfterLastOutageMs: drainedAt - (load.result.endedAt > 0 ? load.result.endedAt : Date.now()),
        duplicateOutcomes: report.counts.outcomeRecords - report.counts.events,
      })}`,
    );
    expect(outages.every((o) => o['firstEventAfterBrokerBackMs'] !== undefined)).toBe(true);
  }, 200_000);

  it('a rebalance while messages flow: of two registrars one is SIGKILLed, the other takes over, then a third joins', async () => {
    // given: two registrars of one group (one SQLite file on this host), 24 scopes over 6 partitions, ~500 messages/s
    const random = scenarioSeed('broker-rebalance');
    const kafka: Kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-faults-rebalance' }), log);
    const d = deployment('group', brokers.join(','), { IFREG_SQLITE_PATH: join(tempDir(cleanup), 'events.db') });
    await createTopics(kafka, d);
    const a = await startRegistrar(cleanup, d, 'registrar-a');
    const b = await startRegistrar(cleanup, d, 'registrar-b');
    const messages = workload(random, { scopes: 24, count: 8_000, prefix: 'grp', remove: 0.1, reannounce: 0.03, boot: 0.002, invalid: 0.02, unreadable: 0.005 });
    const producer = await agentProducer(kafka, d, cleanup);
    const heads = watchStore(d);
    // The last 1,000 wait until the third registrar has joined: it joins while messages flow.
    let cJoined: () => void = () => undefined;
    const joined = new Promise<void>((resolve) => (cJoined = resolve));
    const load = produceSteadily(cleanup, producer, messages, { chunk: 50, intervalMs: 100, holdAt: { sent: messages.length - 1_000, until: joined } });
    const partitionsOf = (r: ServiceProcess): number[] => (r.last(JOINED)?.['memberAssignment'] as Record<string, number[]> | undefined)?.[d.agentMessages] ?? [];
    await waitFor(() => partitionsOf(a).length > 0 && partitionsOf(b).length > 0 && partitionsOf(a).length + partitionsOf(b).length === d.partitions, 30_000, () => `both registrars to share the partitions; a:\n${a.tail()}\nb:\n${b.tail()}`);
    await waitFor(() => heads.head >= 1_000, 30_000, () => `1,000 events; a:\n${a.tail()}`);

    // when: a is SIGKILLed while both work…
    const aHeld = partitionsOf(a);
    const bJoins = b.count(JOINED);
    const killedAt = Date.now();
    await a.kill();
    await waitFor(() => b.count(JOINED) > bJoins && partitionsOf(b).length === d.partitions, 45_000, () => `b to take a's partitions over; b:\n${b.tail()}`);
    const takenOverAt = Date.now();
    // …and a third registrar joins while messages still flow
    await sleep(random.int(500, 1_500));
    const cJoinAsked = Date.now();
    const c = await startRegistrar(cleanup, d, 'registrar-c');
    await waitFor(() => partitionsOf(c).length > 0, 45_000, () => `c to get partitions; c:\n${c.tail()}`);
    const cJoinedAt = Date.now();
    const sentWhenCJoined = load.result.sent;
    cJoined();
    await load.done;
    await waitDrained(kafka, d, 90_000, () => `; b:\n${b.tail()}\nc:\n${c.tail()}`);

    // then: the faults came while messages flowed (the load held its last 1,000 for c), both survivors worked, and the invariants hold
    const [decidedB, decidedC] = [await b.metric('ifreg_registrar_decisions_total'), await c.metric('ifreg_registrar_decisions_total')];
    expect(decidedB).toBeGreaterThan(0);
    expect(decidedC).toBeGreaterThan(0);
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('broker-rebalance', kafka, d, messages, { queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    figure('broker-rebalance', `${JSON.stringify({
        messages: messages.length,
        partitionsOfKilled: aHeld,
        takeOverAfterKillMs: takenOverAt - killedAt,
        thirdJoinedAfterMs: cJoinedAt - cJoinAsked,
        sentWhenThirdJoined: sentWhenCJoined,
        partitionsAfter: { b: partitionsOf(b), c: partitionsOf(c) },
        decided: { b: decidedB, c: decidedC },
        concurrencyRetries: (await b.metric('ifreg_registrar_concurrency_retries_total')) + (await c.metric('ifreg_registrar_concurrency_retries_total')),
        duplicateOutcomes: report.counts.outcomeRecords - report.counts.events,
      })}`,
    );
  }, 150_000);
});
