import { metric, type Registry } from '@ifreg/platform';

export function createRegistrarMetrics(registry: Registry) {
  return {
    decisions: metric.counter(registry, 'ifreg_registrar_decisions_total', 'Messages decided, by outcome', ['outcome', 'status', 'repeated']),
    deadLetters: metric.counter(registry, 'ifreg_registrar_dead_letters_total', 'Messages sent to the dead-letter sink'),
    concurrencyRetries: metric.counter(registry, 'ifreg_registrar_concurrency_retries_total', 'Appends retried after a concurrency conflict'),
    scopeRetries: metric.counter(registry, 'ifreg_registrar_scope_retries_total', 'Scopes held back for a retry after a transient failure'),
    poisonMessages: metric.counter(registry, 'ifreg_registrar_poison_messages_total', 'Messages whose handling failed for a lasting reason, by what became of them', ['result']),
    messageIdReuses: metric.counter(registry, 'ifreg_registrar_message_id_reuses_total', 'Message ids seen again with different content (answered with the recorded outcome)'),
  };
}
export type RegistrarMetrics = ReturnType<typeof createRegistrarMetrics>;
