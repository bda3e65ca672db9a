import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { SqliteEventStore } from '@ifreg/event-store';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { readTopic, type SentInput } from './invariants';
import { checkScenario } from './support/check';
import { buildWorkspace, Cleanup, ROOT, ServiceProcess, sleep, tempDir, waitFor } from '@ifreg/testing';
import { figure, scenarioSeed } from './support/random';
import { deployment, startQuery, startRegistrar, type Deployment } from './support/service';
import { HeadWatcher } from './support/timeline';
import { agentProducer, createTopics, produceSteadily, waitDrained, workload } from './support/workload';

/*
 * Fault scenario 1 (docs/faults-process.md): processes killed with SIGKILL (no shutdown code
 * runs) and restarted: the registrar at random points under load, several times; the query
 * service in the middle of a rebuild; an agent in the middle of sending. After each, the
 * invariants of tools/faults/invariants.ts must hold.
 */
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
if (brokers.length === 0) console.warn('KAFKA_BROKERS is not set: the crash fault scenarios are skipped');

const log = createLogger({ name: 'faults-crash', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
let kafka: Kafka;

beforeAll(() => {
  if (brokers.length === 0) return;
  buildWorkspace();
  kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-faults-crash' }), log);
});
afterEach(() => cleanup.run(), 60_000);

/** A deployment on a fresh SQLite file (the registrar's default store). */
function sqliteDeployment(name: string, registrar: Record<string, string> = {}): Deployment {
  return deployment(name, brokers.join(','), { IFREG_SQLITE_PATH: join(tempDir(cleanup), 'events.db') }, { registrar });
}

/** Follows the SQLite store's head from a connection of our own. */
function watchStore(d: Deployment): HeadWatcher {
  const store = cleanup.add(new SqliteEventStore({ path: d.store['IFREG_SQLITE_PATH'] ?? '' }), (s) => s.close(), 'store reader');
  return new HeadWatcher(() => store.headPosition(), cleanup);
}

describeKafka('SIGKILL', () => {
  it('of the registrar at 3 random points under load, restarted each time: nothing lost, nothing recorded twice', async () => {
    // given: a steady load (~400 messages/s, 9,000 in all over 8 scopes, ifIndexes capped at 300
    // so that allocation wraps and refuses with RESOURCES), and one registrar
    const random = scenarioSeed('crash-registrar');
    const maxIfIndex = 300;
    const d = sqliteDeployment('kill', { IFREG_MAX_IF_INDEX: String(maxIfIndex) });
    await createTopics(kafka, d);
    const messages = workload(random, { scopes: 8, count: 9_000, prefix: 'kill', remove: 0.12, reannounce: 0.03, boot: 0.002, invalid: 0.02, unreadable: 0.005 });
    const producer = await agentProducer(kafka, d, cleanup);
    const heads = watchStore(d);
    let registrar = await startRegistrar(cleanup, d);
    const load = produceSteadily(cleanup, producer, messages, { chunk: 40, intervalMs: 100 });

    // when: 3 times, a random 0.3–2.5 s after it got going, SIGKILL, and a new process at once
    const kills: { runMs: number; recordedAtKill: number; exit: string; restartedAfterMs: number; recoveredAfterMs: number }[] = [];
    for (let n = 1; n <= 3; n++) {
      const resumed = registrar.startedAt;
      await waitFor(() => heads.firstGrowthAfter(resumed) !== undefined, 45_000, () => `registrar ${n} to record something; output:\n${registrar.tail()}`);
      const runMs = random.int(300, 2_500);
      await sleep(runMs);
      const killedAt = Date.now();
      const exit = await registrar.kill();
      const recordedAtKill = heads.head;
      registrar = await startRegistrar(cleanup, d, `registrar-${n + 1}`);
      const restartedAt = Date.now();
      await waitFor(() => heads.firstGrowthAfter(restartedAt) !== undefined || load.result.sent === messages.length, 45_000, () => `registrar ${n + 1} to resume; output:\n${registrar.tail()}`);
      const recoveredAt = heads.firstGrowthAfter(restartedAt) ?? Date.now();
      kills.push({ runMs, recordedAtKill, exit: String(exit.signal), restartedAfterMs: restartedAt - killedAt, recoveredAfterMs: recoveredAt - killedAt });
    }
    await load.done;
    await waitDrained(kafka, d, 90_000, () => `; registrar:\n${registrar.tail()}`);

    // then: every kill came in the middle of the stream, and the invariants hold (with the read model)
    expect(kills.map((k) => k.exit)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    expect(kills.every((k) => k.recordedAtKill > 0 && k.recordedAtKill < messages.length)).toBe(true);
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('crash-registrar', kafka, d, messages, { maxIfIndex, queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    figure('crash-registrar', `${JSON.stringify({ messages: messages.length, sendMs: load.result.endedAt - load.result.startedAt, kills, duplicateOutcomes: report.counts.outcomeRecords - report.counts.events })}`);
  }, 150_000);

  it('of the query service in the middle of a rebuild, under load: the restarted one equals a fresh fold of the store', async () => {
    // given: 15,000 messages recorded, a registrar still working through more, and a query service
    const random = scenarioSeed('crash-query');
    const d = sqliteDeployment('rebuild');
    await createTopics(kafka, d);
    const messages = workload(random, { scopes: 20, count: 18_000, prefix: 'rb', remove: 0.1, reannounce: 0.02, boot: 0.001, invalid: 0.01, unreadable: 0.002 });
    const producer = await agentProducer(kafka, d, cleanup);
    await producer.send(messages.slice(0, 15_000));
    const registrar = await startRegistrar(cleanup, d);
    await waitDrained(kafka, d, 60_000, () => `; registrar:\n${registrar.tail()}`);
    const first = await startQuery(cleanup, d.store, 'query-1');
    const load = produceSteadily(cleanup, producer, messages.slice(15_000), { chunk: 50, intervalMs: 50 });

    // when: a rebuild is asked for, and the service is SIGKILLed once it has folded part of the store
    type RebuildStatus = { running?: boolean; position?: number; target?: number };
    const response = await fetch(`${first.url}/v1/admin/rebuild`, { method: 'POST' });
    let status = (await response.json()) as RebuildStatus;
    while (status.running === true && (status.position ?? 0) === 0) {
      status = (await (await fetch(`${first.url}/v1/admin/rebuild`)).json()) as RebuildStatus;
    }
    const exit = await first.service.kill();
    const killedAt = Date.now();
    const swappedBeforeKill = first.service.count('read model rebuilt and swapped in');
    // and started again
    const second = await startQuery(cleanup, d.store, 'query-2');
    const upAt = Date.now();
    await load.done;
    await waitDrained(kafka, d, 60_000, () => `; registrar:\n${registrar.tail()}`);

    // then: the rebuild was under way when it was killed, and the new read model equals a fresh fold
    expect(response.status).toBeLessThan(300);
    expect(status.running).toBe(true);
    expect(status.position).toBeGreaterThan(0);
    expect(status.position).toBeLessThan(status.target ?? 0);
    expect(status.target).toBeGreaterThan(10_000);
    expect(swappedBeforeKill).toBe(0);
    expect(exit.signal).toBe('SIGKILL');
    const report = await checkScenario('crash-query', kafka, d, messages, { queryUrl: second.url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(messages.length);
    figure('crash-query', `${JSON.stringify({ messages: messages.length, rebuildAtKill: status, caughtUpAfterRestartMs: upAt - killedAt, catchUpMsLogged: second.service.first('query service caught up')?.['catchUpMs'] })}`);
  }, 150_000);

  it('of an agent (the simulator) in the middle of sending, restarted with the same plan: what it resends is not registered twice', async () => {
    // given: a registrar, and the simulator's plan of 6,000 steps over 10 scopes (with a
    // BootEpoch each first, 3% spoiled messages), paced at 2,000 messages/s
    const random = scenarioSeed('crash-agent');
    const d = sqliteDeployment('agent');
    await createTopics(kafka, d);
    const registrar = await startRegistrar(cleanup, d);
    const args = [
      '--scopes', '10', '--providers', '4', '--interfaces', '150', '--count', '6000', '--rate', '2000', '--invalid', '0.03',
      '--seed', String(random.seed), '--run-id', `agent-${random.seed}`, '--scope-prefix', `agent-${random.seed}`, '--no-progress',
      '--brokers', d.brokers, '--partitions', String(d.partitions),
      '--topic', d.agentMessages, '--outcomes-topic', d.outcomes, '--dead-letters-topic', d.deadLetters,
    ];
    const sim = join(ROOT, 'services', 'agent-sim', 'dist', 'main.js');
    const admin = cleanup.add(kafka.admin(), (a) => a.disconnect(), 'admin');
    await admin.connect();
    const produced = async (): Promise<number> => (await admin.fetchTopicOffsets(d.agentMessages)).reduce((n, p) => n + Number(p.high), 0);

    // when: the agent is SIGKILLed once it has sent a random 1,500–3,500 messages
    const killAfter = random.int(1_500, 3_500);
    const first = ServiceProcess.spawn(cleanup, 'agent-1', sim, { env: {}, args });
    await waitFor(async () => (await produced()) >= killAfter || !first.running, 30_000, () => `${killAfter} messages from the agent; output:\n${first.tail()}`);
    const exit = await first.kill();
    const sentByFirst = await produced();
    // and started again with the same plan (seed and run id): it resends everything from the start, and waits for the outcomes
    const second = ServiceProcess.spawn(cleanup, 'agent-2', sim, { env: {}, args: [...args, '--wait', '--wait-timeout', '60'] });
    const secondExit = await second.exited;
    await waitDrained(kafka, d, 60_000, () => `; registrar:\n${registrar.tail()}`);

    // then: the first agent died mid-plan; the second got every expected outcome…
    expect(exit.signal).toBe('SIGKILL');
    expect(sentByFirst).toBeLessThan(6_000);
    const summaryLine = second.tail(5).split('\n').find((line) => line.startsWith('{"summary"'));
    const summary = JSON.parse(summaryLine ?? '{}') as { ok?: boolean; sent?: { total?: number }; outcomes?: { missing?: number; mismatched?: number; duplicates?: number } };
    expect({ exit: secondExit.code, ok: summary.ok, missing: summary.outcomes?.missing }).toEqual({ exit: 0, ok: true, missing: 0 });
    // …the topic holds the resent copies, and each message is recorded once (invariants a, b: no LUID live twice)
    const inputs: SentInput[] = (await readTopic(kafka, d.agentMessages)).map((r) => ({ key: r.key, value: r.value }));
    const ids = inputs.map((i) => /"messageId":"([^"]+)"/.exec(i.value?.toString() ?? '')?.[1]).filter((id) => id !== undefined);
    const resent = ids.length - new Set(ids).size;
    expect(resent).toBeGreaterThan(1_000);
    const { url } = await startQuery(cleanup, d.store);
    const report = await checkScenario('crash-agent', kafka, d, inputs, { queryUrl: url });
    expect(report.counts.inputsRecorded + report.counts.inputsDeadLettered).toBe(inputs.length);
    figure('crash-agent', `${JSON.stringify({ killedAfter: sentByFirst, secondSent: summary.sent?.total, inputRecords: inputs.length, resentCopies: resent, events: report.counts.events, outcomes: summary.outcomes })}`);
  }, 150_000);
});
