import { Container, ContainerModule } from 'inversify';
import { openSnapshotStore, type EventStore } from '@ifreg/event-store';
import { buildHttpApi } from '@ifreg/http-api';
import { InProcessTransport, ObjectBroker, OutcomeWaiter } from '@ifreg/messaging';
import { Lifecycle, createLogger, createMetricsRegistry, type Logger } from '@ifreg/platform';
import { ReadModelService, RebuildTracker, registerProjectionMetrics, snapshotOptions } from '@ifreg/query';
import { RegistrarService, ScopeCache, createRegistrarMetrics, findRecordedSet } from '@ifreg/registrar';
import type { AllInOneConfig } from './config';
import { TOKENS } from './tokens';

const platformModule = (config: AllInOneConfig) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.Config).toConstantValue(config);
    bind(TOKENS.Logger).toConstantValue(createLogger({ name: 'ifreg', level: config.log.level, pretty: config.log.pretty }));
    bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry('all-in-one'));
    bind(TOKENS.Lifecycle).toDynamicValue((ctx) => new Lifecycle(ctx.get(TOKENS.Logger))).inSingletonScope();
  });

/** The store is opened before the container (it may need a round trip), then bound as is. */
const storeModule = (store: EventStore) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.EventStore).toConstantValue(store);
    bind(TOKENS.Snapshots).toDynamicValue((ctx) => openSnapshotStore(ctx.get(TOKENS.Config).store, ctx.get(TOKENS.Config).snapshots)).inSingletonScope();
  });

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
        ...snapshotOptions(ctx.get(TOKENS.Config).snapshots, ctx.get(TOKENS.Snapshots)),
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
        token: http.token,
        limits: http.limits,
        maxWaitMs: http.maxWaitMs,
        watch: http.watch,
      });
    })
    .inSingletonScope();
});

export async function createContainer(config: AllInOneConfig, store: EventStore): Promise<Container> {
  const container = new Container();
  await container.load(platformModule(config), storeModule(store), transportModule, registrarModule, queryModule);
  return container;
}
