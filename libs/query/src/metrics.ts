import type { EventStore } from '@ifreg/ports';
import { metric, type Registry } from '@ifreg/platform';
import type { ReadModelService } from './read-model-service';

/** The lag gauge counts waiting events up to this many (a read of them per scrape while behind). */
export const LAG_COUNT_LIMIT = 10_000;

/**
 * Projection metrics, computed when Prometheus scrapes (no work on the hot path). The registry
 * reads every metric concurrently, so each gauge's collect awaits the same refresh, and what
 * the counter reads is set before that refresh's first await.
 */
export function registerProjectionMetrics(registry: Registry, readModel: ReadModelService, store: EventStore, now: () => number = Date.now): void {
  let counted = 0;
  const refresh = async (): Promise<void> => {
    const at = readModel.position;
    position.set(at);
    scopes.set(readModel.model.scopes.size);
    let count = 0;
    for (const view of readModel.model.scopes.values()) count += view.interfaces.size;
    interfaces.set(count);
    events.inc(readModel.applied - counted);
    counted = readModel.applied;
    const last = readModel.lastRecordedAt ? Date.parse(readModel.lastRecordedAt) : now();
    // Counted by reading them (positions are not counts), up to LAG_COUNT_LIMIT.
    const behind = (await store.readAll(at, LAG_COUNT_LIMIT)).length;
    lagEvents.set(behind);
    lagSeconds.set(behind > 0 ? Math.max(0, (now() - last) / 1000) : 0);
  };
  let pending: Promise<void> | undefined;
  const collect = (): Promise<void> => (pending ??= refresh().finally(() => (pending = undefined)));
  const lagEvents = metric.gauge(registry, 'ifreg_projection_lag_events', 'Events recorded in the store but not yet in the read model (counted up to 10000)', [], collect);
  const lagSeconds = metric.gauge(registry, 'ifreg_projection_lag_seconds', 'Age of the newest applied event while events are waiting; 0 when caught up', [], collect);
  const position = metric.gauge(registry, 'ifreg_projection_position', 'Store position the read model reflects', [], collect);
  const scopes = metric.gauge(registry, 'ifreg_projection_scopes', 'Scopes in the read model', [], collect);
  const interfaces = metric.gauge(registry, 'ifreg_projection_interfaces', 'Registered interfaces over all scopes', [], collect);
  const events = metric.counter(registry, 'ifreg_projection_events_applied_total', 'Events folded into the read model since start');
}
