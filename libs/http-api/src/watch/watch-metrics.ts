import { metric, type Registry } from '@ifreg/platform';
import type { WatchHub } from './watch-hub';

/**
 * Watch metrics, read from the hub when Prometheus scrapes (nothing per frame). The gauge
 * is registered first: its collect brings the counters up to date before they are read.
 */
export function registerWatchMetrics(registry: Registry, hub: WatchHub): { refused: () => void } {
  let delivered = 0;
  let cut = 0;
  metric.gauge(registry, 'ifreg_watch_streams', 'Open GET /v1/watch streams', [], function () {
    this.set(hub.size);
    deliveries.inc(hub.deliveries - delivered);
    delivered = hub.deliveries;
    slow.inc(hub.cutOffs - cut);
    cut = hub.cutOffs;
  });
  const deliveries = metric.counter(registry, 'ifreg_watch_deliveries_total', 'Change frames written to watch streams');
  const slow = metric.counter(registry, 'ifreg_watch_slow_disconnects_total', 'Watch streams cut off for being more than IFREG_WATCH_MAX_BUFFERED_BYTES behind');
  const refused = metric.counter(registry, 'ifreg_watch_refused_total', 'Watches refused with 503: IFREG_WATCH_MAX_STREAMS streams were open');
  return { refused: () => refused.inc() };
}
