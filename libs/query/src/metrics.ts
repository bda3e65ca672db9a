import type { EventStore } from '@ifreg/event-store';
import { metric, type Registry } from '@ifreg/platform';
import type { ReadModelService } from './read-model-service';

/**
 * Projection metrics, computed when Prometheus scrapes (no work on the hot path). The first
 * gauge's collect sets them all: the registry serialises metrics in registration order.
 */
export function registerProjectionMetrics(registry: Registry, readModel: ReadModelService, store: EventStore, now: () => number = Date.now): void {
  let counted = 0;
  const collect = async (): Promise<void> => {
    const head = await store.headPosition();
    const behind = Math.max(0, head - readModel.position);
    lagEvents.set(behind);
    const last = readModel.lastRecordedAt ? Date.parse(readModel.lastRecordedAt) : now();
    lagSeconds.set(behind > 0 ? Math.max(0, (now() - last) / 1000) : 0);
    position.set(readModel.position);
    scopes.set(readModel.model.scopes.size);
    let count = 0;
    for (const view of readModel.model.scopes.values()) count += view.interfaces.size;
    interfaces.set(count);
    events.inc(readModel.applied - counted);
    counted = readModel.applied;
  };
  const lagEvents = metric.gauge(registry, 'ifreg_projection_lag_events', 'Events recorded in the store but not yet in the read model', [], collect);
  const lagSeconds = metric.gauge(registry, 'ifreg_projection_lag_seconds', 'Age of the newest applied event while events are waiting; 0 when caught up');
  const position = metric.gauge(registry, 'ifreg_projection_position', 'Store position the read model reflects');
  const scopes = metric.gauge(registry, 'ifreg_projection_scopes', 'Scopes in the read model');
  const interfaces = metric.gauge(registry, 'ifreg_projection_interfaces', 'Registered interfaces over all scopes');
  const events = metric.counter(registry, 'ifreg_projection_events_applied_total', 'Events folded into the read model since start');
}
