import type { RegistryEvent } from '@ifreg/domain';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { loadConfig } from './config';
import { startRegistrar, type RunningRegistrar } from './start';
import {
  Cleanup, OutcomeLog, agentProducer, asMessage, brokers, createTopics, detection, recordedEvents, registrarEnv, tempDir, waitFor,
} from './testing/kafka-harness';

// Two registrar instances in this process, one consumer group, against the real broker;
// skipped, visibly, without one. The shared store here is one SQLite file on one host (two
// connections): several hosts need the PostgreSQL store, which comes with its own issue.
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'registrar-two-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The sum of one of this instance's Prometheus counters over its labels. */
async function counter(registrar: RunningRegistrar, name: string): Promise<number> {
  const text = await (await fetch(`${registrar.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describeKafka('two registrar instances of one group sharing the work', () => {
  it('answer every detection, and never hand out one ifIndex twice within a scope, across a rebalance', async () => {
    // given: one instance, 6 partitions, 20 scopes
    const kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-registrar-two-int' }), log);
    const env = registrarEnv(tempDir(cleanup), { IFREG_KAFKA_PARTITIONS: '6' });
    await createTopics(kafka, env);
    const one = cleanup.add(await startRegistrar(loadConfig(env)), (r) => r.stop());
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
    const producer = await agentProducer(kafka, env, cleanup);
    const scopes = Array.from({ length: 20 }, (_, n) => `multi-${String(n).padStart(2, '0')}`);
    const perScope = 150;
    const detections = Array.from({ length: scopes.length * perScope }, (_, n) => detection(scopes[n % scopes.length]!, 1 + n));
    const third = detections.length / 3;
    const [before, during, after] = [detections.slice(0, third), detections.slice(third, 2 * third), detections.slice(2 * third)];
    // when: the second instance joins (a rebalance) while the first works and more keeps coming,
    // and more comes once both are members
    await producer.send(before.map(asMessage));
    await waitFor(() => outcomes.byCause.size >= 200, 15_000, () => `200 outcomes (${outcomes.byCause.size} so far)`);
    const answeredBeforeJoin = outcomes.byCause.size;
    const [two] = await Promise.all([startRegistrar(loadConfig(env)), producer.send(during.map(asMessage))]);
    cleanup.add(two, (r) => r.stop());
    const answeredAtJoin = outcomes.byCause.size;
    await producer.send(after.map(asMessage));
    await outcomes.waitFor(detections.map((d) => d.messageId), 45_000);
    // then: every detection has exactly one recorded event, and that is what was answered
    const recorded = (await recordedEvents(env['IFREG_SQLITE_PATH']!)).map((e) => e.data as RegistryEvent);
    expect(recorded).toHaveLength(detections.length);
    expect(new Set(recorded.map((e) => e.causationId)).size).toBe(detections.length);
    const recordedFor = new Map(recorded.map((e) => [e.causationId, JSON.stringify(e)]));
    const answeredDifferently = detections.filter((d) => outcomes.of(d.messageId).some((o) => JSON.stringify(o.event) !== recordedFor.get(d.messageId)));
    expect(answeredDifferently).toEqual([]);
    // each scope's ifIndexes are exactly 1..150: none handed out twice
    for (const scope of scopes) {
      const indexes = recorded.flatMap((e) => (e.scope === scope && e.type === 'InterfaceRegistered' ? [e.ifIndex] : []));
      expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: perScope }, (_, i) => i + 1));
    }
    // and both instances took part
    const decided = [await counter(one, 'ifreg_registrar_decisions_total'), await counter(two, 'ifreg_registrar_decisions_total')];
    const retries = (await counter(one, 'ifreg_registrar_concurrency_retries_total')) + (await counter(two, 'ifreg_registrar_concurrency_retries_total'));
    console.log(
      `two instances: ${detections.length} detections, answered before/at the join ${answeredBeforeJoin}/${answeredAtJoin}, ` +
        `decided by each ${decided.join('/')}, duplicate outcomes ${outcomes.total - detections.length}, concurrency retries ${retries}`,
    );
    expect(decided.map((n) => n > 0)).toEqual([true, true]);
  }, 90_000);
});
