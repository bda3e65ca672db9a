import { ContainerModule, type ServiceIdentifier } from 'inversify';
import type { EventStore, SnapshotStore } from '@ifreg/ports';
import { Lifecycle, createLogger, createMetricsRegistry, type Logger, type LoggerOptions, type Registry } from '@ifreg/platform';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.core.${name}`);

/** The identifiers every service shares; a service's own TOKENS spread these. */
export const CORE_TOKENS = {
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  EventStore: token<EventStore>('EventStore'),
  Snapshots: token<SnapshotStore>('Snapshots'),
} as const;

export interface CoreModuleOptions<C> {
  readonly configToken: ServiceIdentifier<C>;
  readonly config: C & { readonly log: Omit<LoggerOptions, 'name'> };
  /** The logger's name, e.g. ifreg-registrar. */
  readonly name: string;
  /** The metrics' `service` label; no metrics registry when absent. */
  readonly metrics?: string;
  /** Opened before the container (it may need a round trip); closed by the lifecycle, last. */
  readonly store?: EventStore;
  /** Where the service keeps its snapshots; closed by the lifecycle, before the store. */
  readonly snapshots?: SnapshotStore;
}

/**
 * The config, logger, metrics, lifecycle, event store and snapshot store of a service. Shutdown goes through
 * the Lifecycle only: the store's close is its first step registered, so it runs last.
 */
export function coreModule<C>(options: CoreModuleOptions<C>): ContainerModule {
  const { config, store, snapshots } = options;
  return new ContainerModule(({ bind }) => {
    bind(options.configToken).toConstantValue(config);
    bind(CORE_TOKENS.Logger).toConstantValue(createLogger({ name: options.name, level: config.log.level, pretty: config.log.pretty }));
    if (options.metrics !== undefined) bind(CORE_TOKENS.Metrics).toConstantValue(createMetricsRegistry(options.metrics));
    bind(CORE_TOKENS.Lifecycle)
      .toDynamicValue((ctx) => {
        const lifecycle = new Lifecycle(ctx.get(CORE_TOKENS.Logger));
        if (store) lifecycle.onStop('event store', () => store.close());
        if (snapshots) lifecycle.onStop('snapshots', () => snapshots.close());
        return lifecycle;
      })
      .inSingletonScope();
    if (store) bind(CORE_TOKENS.EventStore).toConstantValue(store);
    if (snapshots) bind(CORE_TOKENS.Snapshots).toConstantValue(snapshots);
  });
}
