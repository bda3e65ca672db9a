import { Container, ContainerModule } from 'inversify';
import { coreModule } from '@ifreg/composition';
import { openSnapshotStore, storeOpensAgain } from '@ifreg/event-store';
import type { EventStore } from '@ifreg/ports';
import { buildHttpApi } from '@ifreg/http-api';
import { randomUUID } from 'node:crypto';
import { KafkaAgentProducer, KafkaObjectRoute, ObjectBroker, createKafka } from '@ifreg/messaging';
import { findRecordedSet } from '@ifreg/registrar';
import { ReadModelService, RebuildTracker, ThreadSnapshotWriter, registerProjectionMetrics, snapshotOptions } from '@ifreg/query';
import type { QueryConfig } from './config';
import type { Logger } from '@ifreg/platform';
import { TOKENS } from './tokens';

const projectionModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.ReadModel)
    .toDynamicValue((ctx) => {
      const store = ctx.get(TOKENS.EventStore);
      const readModel = new ReadModelService(store, ctx.get(TOKENS.Logger).child({ component: 'projection' }), {
        watchHistory: ctx.get(TOKENS.Config).watchHistory,
        ...snapshotOptions(ctx.get(TOKENS.Config).snapshots, ctx.get(TOKENS.Snapshots), snapshotWriter(ctx.get(TOKENS.Config), ctx.get(TOKENS.Logger))),
      });
      registerProjectionMetrics(ctx.get(TOKENS.Metrics), readModel, store);
      return readModel;
    })
    .inSingletonScope();
  bind(TOKENS.Rebuild).toDynamicValue((ctx) => new RebuildTracker(ctx.get(TOKENS.ReadModel), ctx.get(TOKENS.Logger))).inSingletonScope();
});

/** Interface objects: providers attached here, and with Kafka the providers of the fleet. */
const objectsModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.ObjectBroker)
    .toDynamicValue((ctx) => new ObjectBroker({ log: ctx.get(TOKENS.Logger).child({ component: 'objects' }), metrics: ctx.get(TOKENS.Metrics) }))
    .inSingletonScope();
  bind(TOKENS.ObjectRoute)
    .toDynamicValue((ctx) => {
      const settings = ctx.get(TOKENS.Config).objects.kafka;
      if (!settings) return undefined;
      const log = ctx.get(TOKENS.Logger);
      const kafka = createKafka(settings, log);
      const { objectRequests, objectReplies } = settings.topics;
      return new KafkaObjectRoute(kafka, ctx.get(TOKENS.ObjectBroker), { requestsTopic: objectRequests, repliesTopic: objectReplies, replica: `query-${randomUUID()}`, log: log.child({ component: 'objects-kafka' }) });
    })
    .inSingletonScope();
  bind(TOKENS.SetRecords)
    .toDynamicValue((ctx) => {
      const settings = ctx.get(TOKENS.Config).objects.kafka;
      return settings && new KafkaAgentProducer(createKafka(settings, ctx.get(TOKENS.Logger)), { topic: settings.topics.agentMessages, defaultSource: 'ifreg-query' });
    })
    .inSingletonScope();
});

const httpModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.HttpApp)
    .toDynamicValue((ctx) => {
      const { http } = ctx.get(TOKENS.Config);
      return buildHttpApi({
        readModel: ctx.get(TOKENS.ReadModel),
        store: ctx.get(TOKENS.EventStore),
        rebuild: ctx.get(TOKENS.Rebuild),
        objects: {
          broker: ctx.get(TOKENS.ObjectBroker),
          ...(ctx.get(TOKENS.SetRecords) ? { records: ctx.get(TOKENS.SetRecords) } : {}),
          recordedSet: (scope, requestId) => findRecordedSet(ctx.get(TOKENS.EventStore), scope, requestId),
          timeoutMs: ctx.get(TOKENS.Config).objects.timeoutMs,
        },
        metrics: ctx.get(TOKENS.Metrics),
        log: ctx.get(TOKENS.Logger),
        // The token, the limits, the longest wait and the watch settings, as configured.
        ...http,
      });
    })
    .inSingletonScope();
});

/**
 * Snapshots are written by a thread of their own with its own copy of the model (its work then
 * costs the requests' thread nothing), unless the store is one only this connection sees.
 */
function snapshotWriter(config: QueryConfig, log: Logger): (() => ThreadSnapshotWriter) | undefined {
  if (!storeOpensAgain(config.store)) return undefined;
  return () => new ThreadSnapshotWriter({ entry: require.resolve('./snapshot-thread'), config: { store: config.store, snapshots: config.snapshots }, log: log.child({ component: 'snapshot-thread' }) });
}

export async function createContainer(config: QueryConfig, store: EventStore): Promise<Container> {
  const container = new Container();
  await container.load(coreModule({ configToken: TOKENS.Config, config, name: 'ifreg-query', metrics: 'query', store, snapshots: openSnapshotStore(config.store, config.snapshots) }), projectionModule, objectsModule, httpModule);
  return container;
}
