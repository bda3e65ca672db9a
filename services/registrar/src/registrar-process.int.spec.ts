import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import type { RegistryEvent } from '@ifreg/domain';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import {
  Cleanup, OutcomeLog, RegistrarProcess, agentProducer, asMessage, brokers, createTopics, detection, recordedEvents, registrarEnv,
  tempDir, waitFor,
} from './testing/kafka-harness';

// The real process, `node services/registrar/dist/main.js`, against the real broker; skipped,
// visibly, when there is no broker (tools/jest/global-setup.js).
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const root = join(__dirname, '..', '..', '..');
const log = createLogger({ name: 'registrar-process-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
let kafka: Kafka;

beforeAll(() => {
  if (brokers().length === 0) return;
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
  kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-registrar-process-int' }), log);
});
afterEach(() => cleanup.run());

/** A registrar process killed after the test if it still runs; its output is printed when the test failed. */
function spawnRegistrar(env: Record<string, string>): RegistrarProcess {
  return cleanup.add(new RegistrarProcess(root, env), async (registrar) => {
    if (registrar.running) await registrar.stop();
  });
}

/** The first `count` records of a topic, read from the beginning by a group of our own. */
async function readRecords(topic: string, count: number, timeoutMs: number): Promise<KafkaMessage[]> {
  const records: KafkaMessage[] = [];
  const consumer = cleanup.add(kafka.consumer({ groupId: `ifreg-test-reader-${topic}`, maxWaitTimeInMs: 100 }), (c) => c.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  await waitFor(() => records.length >= count, timeoutMs, () => `${count} records on ${topic} (${records.length} so far)`);
  return records;
}

describeKafka('poison messages among agent messages', () => {
  it('go to the dead-letter topic with a reason, are logged, and do not stop the consumer', async () => {
    // given
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'warn' });
    await createTopics(kafka, env);
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
    const registrar = spawnRegistrar(env);
    const invalid = { ...detection('host-p', 1), luid: { ifType: 6, netLuidIndex: 2 ** 24 } };
    const valid = detection('host-p', 2);
    const notJson = '{"scope": "host-p", ';
    const badScope = JSON.stringify(detection('bad scope!', 1));
    // when: a client that sends what it is given, one key, so all in this order on one partition
    const raw = cleanup.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await raw.connect();
    await raw.send({
      topic: env['IFREG_TOPIC_AGENT_MESSAGES']!,
      messages: [
        { key: 'host-p', value: notJson },
        { key: 'host-p', value: badScope },
        { key: 'host-p', value: null }, // a tombstone
        { key: 'host-p', value: JSON.stringify(invalid) },
        { key: 'host-p', value: JSON.stringify(valid) },
      ],
    });
    const [failed, registered] = await outcomes.waitFor([invalid.messageId, valid.messageId], 20_000).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar output:\n${registrar.tail()}`);
    });
    // then: the invalid detection with a readable scope is a refusal, on the outcomes topic
    expect(failed?.event).toMatchObject({
      type: 'RegistrationFailed',
      scope: 'host-p',
      status: 'INVALID_PARAMETER',
      causationId: invalid.messageId,
      reason: expect.stringMatching(/^luid\.netLuidIndex /),
    });
    expect(registered?.event).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1, causationId: valid.messageId });
    // the unreadable ones are dead letters, with the reason and the original
    const dead = (await readRecords(env['IFREG_TOPIC_DEAD_LETTERS']!, 3, 10_000)).map(
      (r) => JSON.parse(r.value?.toString() ?? '') as { reason: string; original: { key: string; value: string } },
    );
    expect(dead.map((d) => [d.reason, d.original.key])).toEqual([
      [expect.stringMatching(/^not JSON/), 'host-p'],
      [expect.stringMatching(/^scope must be/), 'host-p'],
      [expect.stringMatching(/^not JSON/), 'host-p'],
    ]);
    expect(dead.map((d) => d.original.value)).toEqual([notJson, badScope, '']);
    // logged, with the reason
    await waitFor(() => registrar.logged('dead-lettering unreadable message').length === 3, 5_000, () => `3 dead-letter log lines:\n${registrar.tail()}`);
    expect(registrar.logged('dead-lettering unreadable message').map((l) => l['reason'])).toEqual(dead.map((d) => d.reason));
    expect(registrar.logged('rejecting invalid message')).toEqual([expect.objectContaining({ scope: 'host-p', messageId: invalid.messageId })]);
    // nothing was recorded for them, and the consumer is still there and stops cleanly
    expect((await recordedEvents(env['IFREG_SQLITE_PATH']!)).map((e) => (e.data as RegistryEvent).causationId)).toEqual([invalid.messageId, valid.messageId]);
    expect(registrar.running).toBe(true);
    await expect(registrar.stop()).resolves.toEqual({ code: 0, signal: null });
  });
});

describeKafka('the registrar killed with SIGKILL in the middle of 5,000 detections, then restarted', () => {
  it('leaves exactly one recorded outcome per detection and no index held twice in a scope', async () => {
    // given: 5,000 detections with distinct LUIDs over 5 scopes, and a registrar process
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info', IFREG_KAFKA_PARTITIONS: '6' });
    await createTopics(kafka, env);
    const scopes = ['crash-a', 'crash-b', 'crash-c', 'crash-d', 'crash-e'];
    const detections = Array.from({ length: 5_000 }, (_, n) => detection(scopes[n % scopes.length]!, 1_000 + n));
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
    const producer = await agentProducer(kafka, env, cleanup);
    const first = spawnRegistrar(env);
    await first.started(20_000);
    // when: killed once it has answered at least 1,000 of them
    let killedAt: { at: number; answered: number } | undefined;
    let lastNewAt = 0;
    outcomes.onOutcome((outcome) => {
      if (outcomes.of(outcome.event.causationId).length === 1) lastNewAt = Date.now();
      if (!killedAt && outcomes.byCause.size >= 1_000) {
        first.signal('SIGKILL');
        killedAt = { at: Date.now(), answered: outcomes.byCause.size };
      }
    });
    // (the last 1,000 are sent only after the kill, so it cannot come after everything was done)
    const startedAt = Date.now();
    await producer.send(detections.slice(0, 4_000).map(asMessage));
    await waitFor(() => !first.running, 30_000, () => `the kill after 1,000 outcomes (${outcomes.byCause.size} seen); output:\n${first.tail()}`);
    await expect(first.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    await producer.send(detections.slice(4_000).map(asMessage));
    const recordedAtKill = (await recordedEvents(env['IFREG_SQLITE_PATH']!)).length;
    // and restarted with the same settings
    const restartedAt = Date.now();
    const answeredBeforeRestart = outcomes.byCause.size;
    const second = spawnRegistrar(env);
    // The killed member stays in the group until its session times out (the consumer's 30 s),
    // and the group cannot finish the rebalance the new member asks for before: the restart
    // waits for that (the registrar's session timeout is not configurable yet; a lower one would shorten it).
    await second.started(45_000);
    const rejoinedAt = Date.now();
    await outcomes.waitFor(detections.map((d) => d.messageId), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\nrestarted registrar output:\n${second.tail()}`);
    });
    // then: the kill came in the middle
    expect(killedAt?.answered).toBeGreaterThanOrEqual(1_000);
    expect(recordedAtKill).toBeLessThan(detections.length);
    // every detection has exactly one recorded outcome event
    const recorded = await recordedEvents(env['IFREG_SQLITE_PATH']!);
    const recordedByCause = new Map<string, RegistryEvent[]>();
    for (const { data } of recorded) {
      const event = data as RegistryEvent;
      recordedByCause.set(event.causationId, [...(recordedByCause.get(event.causationId) ?? []), event]);
    }
    expect(recorded).toHaveLength(detections.length);
    expect(detections.filter((d) => recordedByCause.get(d.messageId)?.length !== 1)).toEqual([]);
    // every outcome seen for a message is the recorded event (re-published copies allowed, all equal)
    const differing = detections.filter((d) => outcomes.of(d.messageId).some((o) => JSON.stringify(o.event) !== JSON.stringify(recordedByCause.get(d.messageId)?.[0])));
    expect(differing).toEqual([]);
    // each scope's ifIndexes are exactly 1..n: none held twice, none skipped
    for (const scope of scopes) {
      const indexes = recorded.flatMap(({ data }) => {
        const event = data as RegistryEvent;
        return event.scope === scope && event.type === 'InterfaceRegistered' ? [event.ifIndex] : [];
      });
      expect(indexes.length).toBe(detections.length / scopes.length);
      expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: indexes.length }, (_, i) => i + 1));
    }
    const duplicates = outcomes.total - detections.length;
    const seconds = (from: number) => (lastNewAt - from) / 1000;
    const result = {
      detections: detections.length,
      killedAfterOutcomes: killedAt?.answered,
      recordedAtKill,
      duplicateOutcomes: duplicates,
      detectionsPerSecondBeforeKill: killedAt ? Math.round(recordedAtKill / ((killedAt.at - startedAt) / 1000)) : undefined,
      wholeRunSeconds: seconds(startedAt),
      detectionsPerSecond: Math.round(detections.length / seconds(startedAt)),
      detectionsPerSecondWithoutRejoinWait: Math.round(detections.length / (seconds(startedAt) - (rejoinedAt - restartedAt) / 1000)),
      rejoinSeconds: (rejoinedAt - restartedAt) / 1000,
      afterRestartSeconds: seconds(restartedAt),
      detectionsPerSecondAfterRejoin: Math.round((detections.length - answeredBeforeRestart) / seconds(rejoinedAt)),
      detectionsPerSecondAfterRestart: Math.round((detections.length - answeredBeforeRestart) / seconds(restartedAt)),
    };
    console.log(`crash test: ${JSON.stringify(result)}`);
    await expect(second.stop()).resolves.toEqual({ code: 0, signal: null });
  }, 120_000);
});

describeKafka('a scope that registered 65,535 interfaces', () => {
  it('answers one more detection with RegistrationFailed RESOURCES', async () => {
    // given: the registrar in its own process, so it and this producer each have a core
    const began = Date.now();
    const env = registrarEnv(tempDir(cleanup), { IFREG_KAFKA_PARTITIONS: '1', IFREG_LOG_LEVEL: 'warn' });
    await createTopics(kafka, env);
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
    const producer = await agentProducer(kafka, env, cleanup);
    const detections = Array.from({ length: 65_536 }, (_, n) => detection('host-full', n + 1, `full-${n + 1}`));
    const last = detections.at(-1)!;
    // when: 65,535 detections and then one more (KafkaAgentProducer sends 500 per request),
    // sent before the registrar starts: it then reads full batches instead of trickles
    await producer.send(detections.map(asMessage));
    const produced = Date.now();
    const registrar = spawnRegistrar(env);
    const [answer] = await outcomes.waitFor([last.messageId], 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar output:\n${registrar.tail()}`);
    });
    const answered = Date.now();
    // then
    expect(answer?.event).toMatchObject({ type: 'RegistrationFailed', scope: 'host-full', status: 'RESOURCES', causationId: last.messageId, luid: last.luid });
    const recorded = (await recordedEvents(env['IFREG_SQLITE_PATH']!)).map((e) => e.data as RegistryEvent);
    expect(recorded).toHaveLength(65_536);
    const indexes = recorded.flatMap((e) => (e.type === 'InterfaceRegistered' ? [e.ifIndex] : []));
    expect(indexes).toHaveLength(65_535);
    expect(indexes.every((ifIndex, i) => ifIndex === i + 1)).toBe(true);
    expect(recorded.at(-1)).toEqual(answer?.event);
    const seconds = (answered - began) / 1000;
    console.log(`65,536 detections in one scope: produced after ${(produced - began) / 1000} s, last outcome after ${seconds} s (${Math.round(65_536 / seconds)} detections/s)`);
  }, 150_000);
});

describeKafka('an old message produced again after the dedupe window forgot it (DESIGN §2.4)', () => {
  it('gets one distinct outcome, the recorded one, and the partition keeps flowing with no consumer restart', async () => {
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info', IFREG_DEDUPE_WINDOW: '1000' });
    await createTopics(kafka, env);
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
    const registrar = spawnRegistrar(env);
    await registrar.started(20_000);
    const producer = await agentProducer(kafka, env, cleanup);
    const first = detection('host-w', 1);
    await producer.send([asMessage(first)]);
    const others = Array.from({ length: 1001 }, (_, i) => detection('host-w', i + 2));
    await producer.send(others.map(asMessage));
    await outcomes.waitFor([first.messageId, others.at(-1)!.messageId], 60_000);

    const sentinel = detection('host-w', 5000);
    await producer.send([asMessage(first), asMessage(sentinel)]);
    const [, afterIt] = await outcomes.waitFor([first.messageId, sentinel.messageId], 30_000);

    const answers = outcomes.of(first.messageId).map((o) => JSON.stringify(o.event));
    expect(answers).toHaveLength(2);
    expect(new Set(answers).size).toBe(1);
    expect(afterIt?.event).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 1003 });
    const events = await recordedEvents(env['IFREG_SQLITE_PATH']!);
    expect(events.filter((e) => (e.data as RegistryEvent).causationId === first.messageId)).toHaveLength(1);
    expect(registrar.logged('agent message batch failed; it will be fetched again from the last committed offset')).toEqual([]);
    expect(registrar.logged('agent message consumer crashed')).toEqual([]);
    expect(registrar.running).toBe(true);
  });
});
