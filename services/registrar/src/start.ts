import { buildOpsServer } from '@ifreg/http-api';
import { ensureTopics } from '@ifreg/messaging';
import type { RegistrarConfig } from './config';
import { createContainer } from './container';
import { describeStore, openEventStore } from '@ifreg/event-store';
import { TOKENS } from './tokens';

export interface RunningRegistrar {
  /** Health/ready/metrics endpoint, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the registrar: topics, store, outcome and dead-letter producers, then the
 * consumer. Stops in the reverse order: stop fetching and finish the batch (offsets are
 * committed after its append), disconnect producers, close the store.
 */
export async function startRegistrar(config: RegistrarConfig, options: { handleSignals?: boolean } = {}): Promise<RunningRegistrar> {
  const store = await openEventStore(config.store);
  const container = await createContainer(config, store);
  const log = container.get(TOKENS.Logger);
  const lifecycle = container.get(TOKENS.Lifecycle);
  if (options.handleSignals) lifecycle.handleSignals();

  const kafka = container.get(TOKENS.Kafka);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics, partitions } = config.kafka;
    const ensured = await ensureTopics(admin, [topics.agentMessages, topics.outcomes, topics.deadLetters], partitions);
    if (ensured.created.length > 0) log.info({ created: ensured.created, partitions }, 'created topics');
  } finally {
    await admin.disconnect();
  }

  const outcomes = container.get(TOKENS.Outcomes);
  const deadLetters = container.get(TOKENS.DeadLetters);
  await Promise.all([outcomes.connect(), deadLetters.connect()]);
  lifecycle.onStop('producers', async () => {
    await Promise.all([outcomes.disconnect(), deadLetters.disconnect()]);
  });

  const consumer = container.get(TOKENS.Consumer);
  const registrar = container.get(TOKENS.Registrar);
  const ops = await buildOpsServer(log, { metrics: container.get(TOKENS.Metrics), isReady: () => consumer.isReady });
  await ops.listen({ port: config.http.port, host: config.http.host });
  lifecycle.onStop('http', () => ops.close());

  await consumer.start((batch) => registrar.appendBatch(batch));
  lifecycle.onStop('consumer', () => consumer.stop());
  const address = ops.server.address();
  const url = `http://${config.http.host}:${typeof address === 'object' && address ? address.port : config.http.port}`;
  log.info({ brokers: config.kafka.brokers, topic: config.kafka.topics.agentMessages, group: config.groupId, store: describeStore(config.store), url }, 'registrar started');
  return { url, stop: () => lifecycle.stop() };
}
