import { metric, type Registry } from '@ifreg/platform';

export function createRegistrarMetrics(registry: Registry) {
  return {
    decisions: metric.counter(registry, 'ifreg_registrar_decisions_total', 'Messages decided, by outcome', ['outcome', 'status', 'repeated']),
    deadLetters: metric.counter(registry, 'ifreg_registrar_dead_letters_total', 'Messages sent to the dead-letter sink'),
    concurrencyRetries: metric.counter(registry, 'ifreg_registrar_concurrency_retries_total', 'Appends retried after a concurrency conflict'),
  };
}
export type RegistrarMetrics = ReturnType<typeof createRegistrarMetrics>;
