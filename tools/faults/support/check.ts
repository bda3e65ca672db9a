import type { Kafka } from 'kafkajs';
import { SqliteEventStore, PostgresEventStore } from '@ifreg/event-store';
import { type EventStore } from '@ifreg/ports';
import { checkInvariantsReport, expectNoViolations, type InvariantReport, type SentInput } from '../invariants';
import { figure } from './random';
import type { Deployment } from './service';

/** Opens the deployment's store for reading (a connection of our own; close it after). */
export async function openStore(d: Deployment): Promise<EventStore> {
  const settings = d.store;
  if (settings['IFREG_STORE'] === 'postgres') {
    return PostgresEventStore.create({ connectionString: settings['IFREG_POSTGRES_URL'] ?? '', schema: settings['IFREG_POSTGRES_SCHEMA'] ?? 'ifreg' });
  }
  const path = settings['IFREG_SQLITE_PATH'];
  if (path === undefined) throw new Error('the deployment names no store');
  return new SqliteEventStore({ path });
}

/**
 * Runs the invariant checker (tools/faults/invariants.ts) on the deployment after a
 * scenario, prints its figures, and fails the test with a readable summary on any violation.
 */
export async function checkScenario(
  scenario: string,
  kafka: Kafka,
  d: Deployment,
  inputs: readonly SentInput[],
  options: { maxIfIndex?: number; queryUrl?: string } = {},
): Promise<InvariantReport> {
  const store = await openStore(d);
  try {
    const report = await checkInvariantsReport({
      store,
      kafka,
      outcomesTopic: d.outcomes,
      deadLettersTopic: d.deadLetters,
      inputs,
      ...(options.maxIfIndex === undefined ? {} : { maxIfIndex: options.maxIfIndex }),
      ...(options.queryUrl === undefined ? {} : { queryUrl: options.queryUrl }),
    });
    figure(scenario, `invariants ${report.violations.length === 0 ? 'hold' : `VIOLATED (${report.violations.length})`} ${JSON.stringify(report.counts)}`);
    expectNoViolations(report, scenario);
    return report;
  } finally {
    await store.close();
  }
}
