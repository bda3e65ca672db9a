import { Container, ContainerModule } from 'inversify';
import { coreModule } from '@ifreg/composition';
import { openSnapshotStore } from '@ifreg/event-store';
import type { EventStore } from '@ifreg/ports';
import { KafkaAgentConsumer, KafkaDeadLetterPublisher, KafkaOutcomePublisher, ThreadSender, createKafka } from '@ifreg/messaging';
import { RegistrarService, ScopeCache, createRegistrarMetrics } from '@ifreg/registrar';
import type { RegistrarConfig } from './config';
import { TOKENS } from './tokens';

const kafkaModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Kafka).toDynamicValue((ctx) => createKafka(ctx.get(TOKENS.Config).kafka, ctx.get(TOKENS.Logger))).inSingletonScope();
  bind(TOKENS.Consumer)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      const log = ctx.get(TOKENS.Logger);
      const lifecycle = ctx.get(TOKENS.Lifecycle);
      return new KafkaAgentConsumer(ctx.get(TOKENS.Kafka), {
        topic: config.kafka.topics.agentMessages,
        groupId: config.groupId,
        maxBatch: config.batchSize,
        partitionsConsumedConcurrently: config.concurrency,
        ...config.fetch,
        sessionTimeoutMs: config.sessionTimeoutMs,
        log,
        // Consuming cannot go on: exit so the supervisor restarts us (liveness), not loop.
        onFatal: (err) => lifecycle.fail(err, 'consumer gave up, exiting'),
      });
    })
    .inSingletonScope();
  bind(TOKENS.Outcomes)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      const sender = config.senderThread ? new ThreadSender(config.kafka, ctx.get(TOKENS.Logger)) : undefined;
      return new KafkaOutcomePublisher(ctx.get(TOKENS.Kafka), { topic: config.kafka.topics.outcomes, ...(sender ? { sender } : {}) });
    })
    .inSingletonScope();
  bind(TOKENS.DeadLetters)
    .toDynamicValue((ctx) => new KafkaDeadLetterPublisher(ctx.get(TOKENS.Kafka), { topic: ctx.get(TOKENS.Config).kafka.topics.deadLetters }))
    .inSingletonScope();
});

const registrarModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Registrar)
    .toDynamicValue((ctx) => {
      const store = ctx.get(TOKENS.EventStore);
      const log = ctx.get(TOKENS.Logger);
      return new RegistrarService({
        store,
        scopes: new ScopeCache(store, ctx.get(TOKENS.Config).registry, log, ctx.get(TOKENS.Config).scopeCacheEntries, {
          store: ctx.get(TOKENS.Snapshots),
          everyEvents: ctx.get(TOKENS.Config).snapshots.scopeEvery,
        }),
        outcomes: ctx.get(TOKENS.Outcomes),
        deadLetters: ctx.get(TOKENS.DeadLetters),
        log,
        metrics: createRegistrarMetrics(ctx.get(TOKENS.Metrics)),
        now: () => new Date(),
        maxMessageBytes: ctx.get(TOKENS.Config).maxMessageBytes,
      });
    })
    .inSingletonScope();
});

export async function createContainer(config: RegistrarConfig, store: EventStore): Promise<Container> {
  const container = new Container();
  await container.load(coreModule({ configToken: TOKENS.Config, config, name: 'ifreg-registrar', metrics: 'registrar', store, snapshots: openSnapshotStore(config.store, config.snapshots) }), kafkaModule, registrarModule);
  return container;
}
