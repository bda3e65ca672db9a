import { Container, ContainerModule } from 'inversify';
import type { EventStore } from '@ifreg/event-store';
import { buildHttpApi } from '@ifreg/http-api';
import { Lifecycle, createLogger, createMetricsRegistry } from '@ifreg/platform';
import { ReadModelService, RebuildTracker, registerProjectionMetrics } from '@ifreg/query';
import type { QueryConfig } from './config';
import { TOKENS } from './tokens';

const platformModule = (config: QueryConfig) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.Config).toConstantValue(config);
    bind(TOKENS.Logger).toConstantValue(createLogger({ name: 'ifreg-query', level: config.log.level, pretty: config.log.pretty }));
    bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry('query'));
    bind(TOKENS.Lifecycle).toDynamicValue((ctx) => new Lifecycle(ctx.get(TOKENS.Logger))).inSingletonScope();
  });

/** The store is opened before the container (it may need a round trip), then bound as is. */
const storeModule = (store: EventStore) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.EventStore).toConstantValue(store);
  });

const projectionModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.ReadModel)
    .toDynamicValue((ctx) => {
      const store = ctx.get(TOKENS.EventStore);
      const readModel = new ReadModelService(store, ctx.get(TOKENS.Logger).child({ component: 'projection' }), {
        watchHistory: ctx.get(TOKENS.Config).watchHistory,
      });
      registerProjectionMetrics(ctx.get(TOKENS.Metrics), readModel, store);
      return readModel;
    })
    .inSingletonScope();
  bind(TOKENS.Rebuild).toDynamicValue((ctx) => new RebuildTracker(ctx.get(TOKENS.ReadModel), ctx.get(TOKENS.Logger))).inSingletonScope();
});

const httpModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.HttpApp)
    .toDynamicValue((ctx) => {
      const { http } = ctx.get(TOKENS.Config);
      return buildHttpApi({
        readModel: ctx.get(TOKENS.ReadModel),
        store: ctx.get(TOKENS.EventStore),
        rebuild: ctx.get(TOKENS.Rebuild),
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

export async function createContainer(config: QueryConfig, store: EventStore): Promise<Container> {
  const container = new Container();
  await container.load(platformModule(config), storeModule(store), projectionModule, httpModule);
  return container;
}
