import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, passed around through DI (no module-level singletons). */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export const metric = {
  counter: (registry: Registry, name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] }),
  gauge: (registry: Registry, name: string, help: string, labelNames: string[] = [], collect?: (this: Gauge) => Promise<void> | void) =>
    new Gauge({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) }),
  histogram: (registry: Registry, name: string, help: string, labelNames: string[] = []) =>
    new Histogram({ name, help, labelNames, registers: [registry] }),
} as const;
export type { Registry };
