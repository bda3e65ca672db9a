import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import type { ObjectReply, ObjectRequest } from '@ifreg/contracts';
import type { RegistryEvent } from '@ifreg/domain';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { waitFor } from '@ifreg/testing';
import { ObjectBroker, ObjectTimeoutError, type ObjectRequestDraft } from '../objects/object-broker';
import type { Outcome } from '@ifreg/ports';
import { createKafka, kafkaSettings } from './kafka-config';
import { KafkaObjectRoute } from './kafka-object-route';
import { KafkaOutcomeSource } from './kafka-outcome-source';
import { KafkaOutcomePublisher } from './kafka-outcomes';
import { KafkaProviderChannel } from './kafka-provider-channel';
import { ensureTopics } from './topics';
import { KafkaPartitionReader } from './partition-reader';
import { partitionOf } from './partitions';

/*
 * Provider-bound traffic on a real broker: a reader of one scope's partition sees that
 * partition's share of the outcomes only; object requests reach the provider of their scope
 * and its reply the replica that asked, through another replica when the provider is attached
 * there; wrong replies are refused and silence ends in a timeout within the bound.
 */

const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'kafka-objects-int', level: process.env.LOG_LEVEL ?? 'silent' });
const kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-kafka-objects-int' }), log);

const closers: (() => Promise<void>)[] = [];
const closeLater = <T>(thing: T, close: (thing: T) => Promise<void>): T => {
  closers.push(() => close(thing));
  return thing;
};
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let admin: Admin;
beforeAll(async () => {
  if (brokers.length === 0) return;
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  if (brokers.length > 0) await admin.disconnect();
});

async function newTopic(partitions = 6): Promise<string> {
  const topic = `ifreg-objects-test-${randomUUID()}`;
  await ensureTopics(admin, [topic], partitions);
  return topic;
}

const draft = (scope: string, providerIfContext = 'linux:v0:ifindex=7'): ObjectRequestDraft => ({
  scope,
  providerId: 'agent-test',
  ifIndex: 1,
  luid: { ifType: 6, netLuidIndex: 1 },
  providerIfContext,
  operation: 'query',
  oid: { value: 0x00010283, name: 'OID_GEN_OPERATIONAL_STATUS' },
});

const replyTo = (request: ObjectRequest, fields: Partial<ObjectReply> = {}): ObjectReply => ({
  type: 'ObjectReply',
  schemaVersion: 1,
  requestId: request.requestId,
  scope: request.scope,
  providerId: request.providerId,
  providerIfContext: request.providerIfContext,
  oid: request.oid.value,
  status: 'SUCCESS',
  value: 'up',
  ...fields,
});

describeKafka('an outcome source for one scope', () => {
  it('reads the partition of its scope only: its own outcomes and that partition’s share of the others', async () => {
    // given: 60 scopes over 6 partitions, one outcome each
    const topic = await newTopic(6);
    const scopes = Array.from({ length: 60 }, (_, n) => `host-${n}`);
    const mine = 'host-7';
    const source = closeLater(new KafkaOutcomeSource(kafka, { topic, log, scopes: [mine], maxWaitTimeMs: 100 }), (s) => s.stop());
    const seen: Outcome[] = [];
    source.onOutcome((o) => seen.push(o));
    await source.start();
    const publisher = closeLater(new KafkaOutcomePublisher(kafka, { topic }), (p) => p.disconnect());
    await publisher.connect();
    // when
    const outcome = (scope: string): Outcome => {
      const event: RegistryEvent = { type: 'BootEpochStarted', scope, epoch: 1, causationId: `boot-${scope}`, at: '2026-12-05T12:00:00.000Z' };
      return { scope, event, position: 1 };
    };
    await publisher.publish(scopes.map(outcome));
    // then
    const samePartition = scopes.filter((s) => partitionOf(s, 6) === partitionOf(mine, 6));
    await waitFor(() => seen.length === samePartition.length, 15_000, `the ${samePartition.length} outcomes of the partition`);
    expect(seen.map((o) => o.scope).sort()).toEqual([...samePartition].sort());
    expect(source.reader.assignment).toEqual({ [topic]: [partitionOf(mine, 6)] });
    expect(source.reader.read.get(topic)).toBe(samePartition.length);
    expect(samePartition.length).toBeLessThan(scopes.length / 2);
  });
});

describeKafka('object requests over Kafka', () => {
  async function setup(partitions = 4) {
    const [requestsTopic, repliesTopic] = [await newTopic(partitions), await newTopic(partitions)];
    const broker = new ObjectBroker({ log, metrics: createMetricsRegistry('test') });
    const route = closeLater(new KafkaObjectRoute(kafka, broker, { requestsTopic, repliesTopic, replica: `replica-${randomUUID()}`, log, maxWaitTimeMs: 100 }), (r) => r.stop());
    await route.start();
    return { requestsTopic, repliesTopic, broker, route };
  }

  async function provider(requestsTopic: string, scope: string, answer: (request: ObjectRequest, channel: KafkaProviderChannel) => void): Promise<KafkaProviderChannel> {
    const channel = closeLater(new KafkaProviderChannel(kafka, { requestsTopic, scope, log, maxWaitTimeMs: 100 }), (c) => c.close());
    await channel.open((request) => answer(request, channel));
    return channel;
  }

  it('reach the provider of their scope with its ProviderIfContext, and its reply the asker', async () => {
    const { requestsTopic, broker } = await setup();
    const got: ObjectRequest[] = [];
    await provider(requestsTopic, 'host-k1', (request, channel) => {
      got.push(request);
      void channel.reply(request, replyTo(request));
    });
    const started = Date.now();
    const reply = await broker.request(draft('host-k1'), 10_000);
    process.stderr.write(`[objects] one query round trip over Kafka: ${Date.now() - started} ms\n`);
    expect(reply).toMatchObject({ status: 'SUCCESS', value: 'up', providerIfContext: 'linux:v0:ifindex=7' });
    expect(got).toEqual([expect.objectContaining({ scope: 'host-k1', providerIfContext: 'linux:v0:ifindex=7', operation: 'query', replyTo: expect.objectContaining({ topic: expect.any(String) }) })]);
  });

  it('refuse a reply for another ProviderIfContext or request id, and end in a timeout within the bound', async () => {
    // given: a provider that answers with another context, then for another request id
    const { requestsTopic, broker } = await setup();
    const refusals: string[] = [];
    const original = broker.reply.bind(broker);
    broker.reply = (reply, via) => {
      const refusal = original(reply, via);
      if (refusal) refusals.push(refusal);
      return refusal;
    };
    await provider(requestsTopic, 'host-k2', (request, channel) => {
      void channel
        .reply(request, replyTo(request, { providerIfContext: 'linux:v9:ifindex=99' }))
        .then(() => channel.reply(request, replyTo(request, { requestId: randomUUID() })));
    });
    // when
    const started = Date.now();
    const failure = await broker.request(draft('host-k2'), 3000).catch((error: unknown) => error);
    // then
    expect(failure).toBeInstanceOf(ObjectTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    await waitFor(() => refusals.length === 2, 5000, 'both wrong replies refused');
    expect(refusals[0]).toContain('reply for ProviderIfContext "linux:v9:ifindex=99", but request');
    expect(refusals[1]).toContain('is waiting here');
    expect(broker.waiting).toBe(0);
  });

  it('of a provider that never answers end in a timeout within the bound, with a reason', async () => {
    const { requestsTopic, broker } = await setup();
    await provider(requestsTopic, 'host-k3', () => undefined);
    const started = Date.now();
    const failure = await broker.request(draft('host-k3'), 1500).catch((error: unknown) => error);
    const tookMs = Date.now() - started;
    process.stderr.write(`[objects] a silent provider over Kafka ended in ${tookMs} ms (bound 1500)\n`);
    expect(failure).toBeInstanceOf(ObjectTimeoutError);
    expect((failure as Error).message).toContain('did not answer the query of OID_GEN_OPERATIONAL_STATUS within 1500 ms');
  });

  it('entering one replica reach a provider attached to another, and its reply comes back', async () => {
    // given: replicas A and B on the same topics; the provider is attached to B only (as over HTTP)
    const a = await setup();
    const brokerB = new ObjectBroker({ log });
    const routeB = closeLater(new KafkaObjectRoute(kafka, brokerB, { requestsTopic: a.requestsTopic, repliesTopic: a.repliesTopic, replica: `replica-${randomUUID()}`, log, maxWaitTimeMs: 100 }), (r) => r.stop());
    await routeB.start();
    brokerB.attach('host-k4', 'agent-test', { deliver: (request) => void brokerB.reply(replyTo(request, { value: 'dormant' }), 'test') });
    // when
    const reply = await a.broker.request(draft('host-k4'), 10_000);
    // then
    expect(reply).toMatchObject({ status: 'SUCCESS', value: 'dormant', scope: 'host-k4' });
  });

  it('share one consumer with the outcomes of the scope', async () => {
    const { requestsTopic, broker } = await setup();
    const outcomesTopic = await newTopic(4);
    const reader = new KafkaPartitionReader(kafka, { topics: [outcomesTopic, requestsTopic], keys: ['host-k5'], log, groupIdPrefix: 'ifreg-test-agent', maxWaitTimeMs: 100 });
    const outcomes = closeLater(new KafkaOutcomeSource(kafka, { topic: outcomesTopic, log, reader }), (s) => s.stop());
    const channel = closeLater(new KafkaProviderChannel(kafka, { requestsTopic, scope: 'host-k5', log, reader }), (c) => c.close());
    await outcomes.start();
    await channel.open((request) => void channel.reply(request, replyTo(request)));
    await expect(broker.request(draft('host-k5'), 10_000)).resolves.toMatchObject({ status: 'SUCCESS' });
    expect(reader.assignment).toEqual({ [outcomesTopic]: [partitionOf('host-k5', 4)], [requestsTopic]: [partitionOf('host-k5', 4)] });
  });
});
