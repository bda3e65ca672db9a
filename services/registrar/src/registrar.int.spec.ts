import type { Kafka } from 'kafkajs';
import type { RegistryEvent } from '@ifreg/domain';
import type { RecordedEvent } from '@ifreg/ports';
import { createKafka, kafkaSettings, type KafkaAgentProducer } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { loadConfig } from './config';
import { startRegistrar } from './start';
import {
  Cleanup, OutcomeLog, agentProducer, asMessage, bootEpoch, brokers, createTopics, detection, kcat, kcatPath, recordedEvents,
  registrarEnv, tempDir, waitFor,
} from './testing/kafka-harness';

// The registrar in this process against the real broker (tools/jest/global-setup.js), with
// fresh topics, group and SQLite file per test. Skipped, visibly, when there is no broker.
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const itKcat = kcatPath ? it : it.skip;
if (!kcatPath) console.warn('kcat is not installed: the test producing with kcat is skipped (CI installs it: apt-get install kcat)');

const log = createLogger({ name: 'registrar-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
let kafka: Kafka;

beforeAll(() => {
  kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-registrar-int' }), log);
});
afterEach(() => cleanup.run());

interface Running {
  readonly env: Record<string, string>;
  readonly producer: KafkaAgentProducer;
  readonly outcomes: OutcomeLog;
  readonly events: () => Promise<RecordedEvent[]>;
}

/** Topics, the registrar, an agent producer and an outcome reader, all closed after the test. */
async function running(): Promise<Running> {
  const env = registrarEnv(tempDir(cleanup));
  await createTopics(kafka, env);
  cleanup.add(await startRegistrar(loadConfig(env)), (r) => r.stop());
  const producer = await agentProducer(kafka, env, cleanup);
  const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, cleanup);
  return { env, producer, outcomes, events: () => recordedEvents(env['IFREG_SQLITE_PATH']!) };
}

const WAIT = 15_000;
const byCause = (events: readonly RecordedEvent[], messageId: string) => events.filter((e) => (e.data as RegistryEvent).causationId === messageId);

describeKafka('a detection produced by the agent client (KafkaAgentProducer)', () => {
  it('yields exactly one outcome, InterfaceRegistered ifIndex 1, with causationId = messageId', async () => {
    // given
    const { producer, outcomes, events } = await running();
    const first = detection('host-a', 32768);
    // when
    await producer.send([asMessage(first)]);
    const [outcome] = await outcomes.waitFor([first.messageId], WAIT);
    // then: a sentinel after it on the same key (one scope = one partition, in order) bounds
    // the outcomes the first can still get: none after the sentinel's.
    const sentinel = detection('host-a', 32769);
    await producer.send([asMessage(sentinel)]);
    await outcomes.waitFor([sentinel.messageId], WAIT);
    expect(outcomes.of(first.messageId)).toHaveLength(1);
    expect(outcome).toMatchObject({
      scope: 'host-a',
      event: { type: 'InterfaceRegistered', scope: 'host-a', epoch: 0, ifIndex: 1, causationId: first.messageId, luid: first.luid },
    });
    expect(outcomes.of(sentinel.messageId)[0]?.event).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 2 });
    const recorded = await events();
    expect(byCause(recorded, first.messageId).map((e) => e.data)).toEqual([outcome?.event]);
    expect(outcome?.position).toBe(byCause(recorded, first.messageId)[0]?.position);
  });
});

describeKafka('a detection produced by kcat (a client ifreg did not write, no headers)', () => {
  itKcat('is handled the same: one InterfaceRegistered ifIndex 1 with causationId = messageId', async () => {
    // given
    const { env, producer, outcomes, events } = await running();
    const viaKcat = detection('host-k', 7);
    // when
    await kcat(['-t', env['IFREG_TOPIC_AGENT_MESSAGES']!, '-k', 'host-k'], `${JSON.stringify(viaKcat)}\n`);
    const [outcome] = await outcomes.waitFor([viaKcat.messageId], WAIT);
    const sentinel = detection('host-k', 8);
    await producer.send([asMessage(sentinel)]);
    await outcomes.waitFor([sentinel.messageId], WAIT);
    // then
    expect(outcomes.of(viaKcat.messageId)).toHaveLength(1);
    expect(outcome?.event).toMatchObject({ type: 'InterfaceRegistered', scope: 'host-k', ifIndex: 1, causationId: viaKcat.messageId });
    const [recorded] = byCause(await events(), viaKcat.messageId);
    expect(recorded?.data).toEqual(outcome?.event);
    // no headers: the correlation id falls back to the message id
    expect(recorded?.metadata).toMatchObject({ causationId: viaKcat.messageId, correlationId: viaKcat.messageId });
    // and kcat (murmur2 partitioner) put the scope on the partition kafkajs uses for it
    const [sentinelRecorded] = byCause(await events(), sentinel.messageId);
    expect((recorded?.metadata['origin'] as { partition: number }).partition).toBe((sentinelRecorded?.metadata['origin'] as { partition: number }).partition);
  });
});

describeKafka('a message delivered twice (the same bytes produced again)', () => {
  it('changes nothing: one InterfaceRegistered in the stream, and both outcomes are equal', async () => {
    // given
    const { producer, outcomes, events } = await running();
    const message = asMessage(detection('host-r', 1));
    const messageId = (JSON.parse(message.value) as { messageId: string }).messageId;
    await producer.send([message]);
    await outcomes.waitFor([messageId], WAIT);
    // when
    await producer.send([message]);
    await waitFor(() => outcomes.of(messageId).length === 2, WAIT, () => 'the outcome of the copy');
    const sentinel = detection('host-r', 2);
    await producer.send([asMessage(sentinel)]);
    await outcomes.waitFor([sentinel.messageId], WAIT);
    // then: the same event and position (an outcome's position is that of the end of its batch,
    // so the copy is answered alone, before the sentinel)
    const answers = outcomes.of(messageId);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toEqual(answers[0]);
    const recorded = await events();
    expect(byCause(recorded, messageId).map((e) => e.type)).toEqual(['InterfaceRegistered']);
    expect(recorded.map((e) => e.type)).toEqual(['InterfaceRegistered', 'InterfaceRegistered']);
    // the sentinel got the next index: the copy allocated nothing
    expect(outcomes.of(sentinel.messageId)[0]?.event).toMatchObject({ ifIndex: 2 });
  });
});

describeKafka('a BootEpoch between detections', () => {
  it('is applied in order: ifIndex 1, 2, BootEpochStarted epoch 1, then ifIndex 1 in epoch 1', async () => {
    // given
    const { producer, outcomes, events } = await running();
    const messages = [detection('host-b', 1), detection('host-b', 2), bootEpoch('host-b'), detection('host-b', 3)];
    // when: sent one by one, as an agent would
    for (const message of messages) await producer.send([asMessage(message)]);
    const answers = await outcomes.waitFor(messages.map((m) => m.messageId), WAIT);
    // then
    expect(answers.map((o) => [o.event.type, o.event.epoch, o.event.type === 'InterfaceRegistered' ? o.event.ifIndex : undefined])).toEqual([
      ['InterfaceRegistered', 0, 1],
      ['InterfaceRegistered', 0, 2],
      ['BootEpochStarted', 1, undefined],
      ['InterfaceRegistered', 1, 1],
    ]);
    expect((await events()).map((e) => [e.stream, e.revision, (e.data as RegistryEvent).causationId])).toEqual(
      messages.map((m, revision) => ['registry-host-b', revision, m.messageId]),
    );
  });
});
