import { Container, ContainerModule } from 'inversify';
import { coreModule } from '@ifreg/composition';
import { openSnapshotStore, storeOpensAgain } from '@ifreg/event-store';
import type { EventStore } from '@ifreg/ports';
import { buildHttpApi } from '@ifreg/http-api';
import { InProcessTransport, ObjectBroker, OutcomeWaiter } from '@ifreg/messaging';
import type { Logger } from '@ifreg/platform';
import { ReadModelService, RebuildTracker, ThreadSnapshotWriter, registerProjectionMetrics, snapshotOptions } from '@ifreg/query';
import { RegistrarService, ScopeCache, createRegistrarMetrics, findRecordedSet } from '@ifreg/registrar';
import type { AllInOneConfig } from './config';
import { TOKENS } from './tokens';

const transportModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Transport)
    .toDynamicValue((ctx) => {
      const log: Logger = ctx.get(TOKENS.Logger);
      return new InProcessTransport({ onHandlerError: (err) => log.error({ err }, 'registrar batch failed, retrying') });
    })
    .inSingletonScope();
  bind(TOKENS.OutcomeWaiter).toDynamicValue((ctx) => new OutcomeWaiter(ctx.get(TOKENS.Transport))).inSingletonScope();
  bind(TOKENS.ObjectBroker)
    .toDynamicValue((ctx) => new ObjectBroker({ log: ctx.get(TOKENS.Logger).child({ component: 'objects' }), metrics: ctx.get(TOKENS.Metrics) }))
    .inSingletonScope();
});

const registrarModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Registrar)
    .toDynamicValue((ctx) => {
      const store = ctx.get(TOKENS.EventStore);
      const log = ctx.get(TOKENS.Logger).child({ component: 'registrar' });
      const transport = ctx.get(TOKENS.Transport);
      return new RegistrarService({
        store,
        scopes: new ScopeCache(store, ctx.get(TOKENS.Config).registry, log, ctx.get(TOKENS.Config).scopeCacheEntries, {
          store: ctx.get(TOKENS.Snapshots),
          everyEvents: ctx.get(TOKENS.Config).snapshots.scopeEvery,
        }),
        outcomes: transport,
        deadLetters: transport,
        log,
        metrics: createRegistrarMetrics(ctx.get(TOKENS.Metrics)),
        now: () => new Date(),
      });
    })
    .inSingletonScope();
});

const queryModule = new ContainerModule(({ bind }) => {
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
  bind(TOKENS.HttpApp)
    .toDynamicValue((ctx) => {
      const { http } = ctx.get(TOKENS.Config);
      return buildHttpApi({
        readModel: ctx.get(TOKENS.ReadModel),
        store: ctx.get(TOKENS.EventStore),
        ingest: { producer: ctx.get(TOKENS.Transport), waiter: ctx.get(TOKENS.OutcomeWaiter) },
        rebuild: new RebuildTracker(ctx.get(TOKENS.ReadModel), ctx.get(TOKENS.Logger)),
        objects: {
          broker: ctx.get(TOKENS.ObjectBroker),
          // Sets are recorded through the same in-process path as every agent message.
          records: ctx.get(TOKENS.Transport),
          recordedSet: (scope, requestId) => findRecordedSet(ctx.get(TOKENS.EventStore), scope, requestId),
          timeoutMs: ctx.get(TOKENS.Config).objectTimeoutMs,
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
function snapshotWriter(config: AllInOneConfig, log: Logger): (() => ThreadSnapshotWriter) | undefined {
  if (!storeOpensAgain(config.store)) return undefined;
  return () => new ThreadSnapshotWriter({ entry: require.resolve('./snapshot-thread'), config: { store: config.store, snapshots: config.snapshots }, log: log.child({ component: 'snapshot-thread' }) });
}

export async function createContainer(config: AllInOneConfig, store: EventStore): Promise<Container> {
  const container = new Container();
  await container.load(coreModule({ configToken: TOKENS.Config, config, name: 'ifreg', metrics: 'all-in-one', store, snapshots: openSnapshotStore(config.store, config.snapshots) }), transportModule, registrarModule, queryModule);
  return container;
}
