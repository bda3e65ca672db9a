import type { QueryConfig } from './config';
import { createContainer } from './container';
import { describeStore, openEventStore } from '@ifreg/event-store';
import { LISTEN_BACKLOG } from '@ifreg/http-api';
import { createKafka, ensureTopics } from '@ifreg/messaging';
import { TOKENS } from './tokens';

export interface RunningQuery {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the query service: it listens at once (/readyz says 503 until caught up), folds
 * the store's history into its read model, then follows it live.
 */
export async function startQuery(config: QueryConfig, options: { handleSignals?: boolean } = {}): Promise<RunningQuery> {
  const store = await openEventStore(config.store);
  const container = await createContainer(config, store);
  const log = container.get(TOKENS.Logger);
  const lifecycle = container.get(TOKENS.Lifecycle);
  if (options.handleSignals) lifecycle.handleSignals();

  lifecycle.onStop('event store', () => store.close());
  lifecycle.onStop('snapshots', () => container.get(TOKENS.Snapshots).close());
  const readModel = container.get(TOKENS.ReadModel);
  lifecycle.onStop('read model', () => readModel.stop());

  const broker = container.get(TOKENS.ObjectBroker);
  lifecycle.onStop('object broker', () => broker.close());
  const kafka = config.objects.kafka;
  if (kafka) {
    // The object topics are this service's to create (the registrar creates its own).
    const admin = createKafka(kafka, log).admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [kafka.topics.objectRequests, kafka.topics.objectReplies], kafka.partitions);
    } finally {
      await admin.disconnect();
    }
    const records = container.get(TOKENS.SetRecords);
    await records?.connect();
    lifecycle.onStop('set records', async () => records?.disconnect());
    const route = container.get(TOKENS.ObjectRoute);
    await route?.start();
    lifecycle.onStop('objects over Kafka', async () => route?.stop());
  }

  const app = await container.getAsync(TOKENS.HttpApp);
  await app.listen({ port: config.http.port, host: config.http.host, backlog: LISTEN_BACKLOG });
  lifecycle.onStop('http', () => app.close());
  const address = app.server.address();
  const url = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${typeof address === 'object' && address ? address.port : config.http.port}`;

  const started = Date.now();
  await readModel.start();
  log.info({ url, store: describeStore(config.store), position: readModel.position, scopes: readModel.model.scopes.size, catchUpMs: Date.now() - started }, 'query service caught up');
  return { url, stop: () => lifecycle.stop() };
}
