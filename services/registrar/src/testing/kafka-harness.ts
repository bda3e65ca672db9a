import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { SqliteEventStore } from '@ifreg/event-store';
import { type RecordedEvent } from '@ifreg/ports';
import { KafkaAgentProducer, KafkaOutcomeSource, ensureTopics } from '@ifreg/messaging';
import { type Outcome } from '@ifreg/ports';
import type { Logger } from '@ifreg/platform';
import { Cleanup, ServiceProcess, sleep, tempDir, waitFor } from '@ifreg/testing';

/*
 * Test support for the registrar's integration specs against a real broker
 * (tools/jest/global-setup.js puts its address in KAFKA_BROKERS).
 */

export const brokers = (): string[] => process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
export { Cleanup, sleep, tempDir, waitFor };

/** The registrar's environment with fresh topics, group and SQLite file; `overrides` win. */
export function registrarEnv(dir: string, overrides: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID();
  return {
    KAFKA_BROKERS: brokers().join(','),
    IFREG_TOPIC_AGENT_MESSAGES: `ifreg-test-agent-messages-${id}`,
    IFREG_TOPIC_OUTCOMES: `ifreg-test-outcomes-${id}`,
    IFREG_TOPIC_DEAD_LETTERS: `ifreg-test-dead-letters-${id}`,
    IFREG_KAFKA_GROUP: `ifreg-test-registrar-${id}`,
    // The broker's minimum: a killed registrar's partitions move on after 6 s, not 10.
    IFREG_KAFKA_SESSION_TIMEOUT_MS: '6000',
    IFREG_KAFKA_PARTITIONS: '3',
    IFREG_SQLITE_PATH: join(dir, 'events.db'),
    IFREG_HTTP_PORT: '0',
    IFREG_LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/** Creates the env's three topics up front, so producers can send before the registrar runs. */
export async function createTopics(kafka: Kafka, env: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = [env['IFREG_TOPIC_AGENT_MESSAGES'], env['IFREG_TOPIC_OUTCOMES'], env['IFREG_TOPIC_DEAD_LETTERS']];
    await ensureTopics(admin, names.filter((n): n is string => n !== undefined), Number(env['IFREG_KAFKA_PARTITIONS'] ?? 6));
  } finally {
    await admin.disconnect();
  }
}

export async function agentProducer(kafka: Kafka, env: Record<string, string>, cleanup: Cleanup): Promise<KafkaAgentProducer> {
  const producer = cleanup.add(new KafkaAgentProducer(kafka, { topic: env['IFREG_TOPIC_AGENT_MESSAGES'] ?? '' }), (p) => p.disconnect());
  await producer.connect();
  return producer;
}

/** An InterfaceDetected of DESIGN.md §2.9. */
export const detection = (scope: string, netLuidIndex: number, messageId: string = randomUUID()) => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId,
  scope,
  providerId: 'agent-int',
  luid: { ifType: 6, netLuidIndex },
  providerIfContext: `ctx-${netLuidIndex}`,
  info: { friendlyName: `eth${netLuidIndex}` },
  detectedAt: '2026-11-24T12:00:00.000Z',
});
export const bootEpoch = (scope: string, messageId: string = randomUUID()) => ({
  type: 'BootEpoch',
  schemaVersion: 1,
  messageId,
  scope,
  bootId: `boot-${messageId}`,
  at: '2026-11-24T12:00:00.000Z',
});
export const asMessage = (body: { scope: string }) => ({ key: body.scope, value: JSON.stringify(body) });

/** Every outcome on the outcomes topic (as agents read them), by causation id, duplicates kept. */
export class OutcomeLog {
  readonly byCause = new Map<string, Outcome[]>();
  total = 0;
  private readonly source: KafkaOutcomeSource;
  private readonly listeners: ((outcome: Outcome) => void)[] = [];

  constructor(kafka: Kafka, topic: string, log: Logger) {
    this.source = new KafkaOutcomeSource(kafka, { topic, log, fromBeginning: true, groupIdPrefix: 'ifreg-test-outcomes', maxWaitTimeMs: 100 });
    this.source.onOutcome((outcome) => {
      this.total++;
      const list = this.byCause.get(outcome.event.causationId) ?? [];
      list.push(outcome);
      this.byCause.set(outcome.event.causationId, list);
      for (const listener of this.listeners) listener(outcome);
    });
  }

  static async start(kafka: Kafka, topic: string, log: Logger, cleanup: Cleanup): Promise<OutcomeLog> {
    const outcomes = cleanup.add(new OutcomeLog(kafka, topic, log), (o) => o.source.stop());
    await outcomes.source.start();
    return outcomes;
  }

  onOutcome(listener: (outcome: Outcome) => void): void {
    this.listeners.push(listener);
  }

  of(messageId: string): Outcome[] {
    return this.byCause.get(messageId) ?? [];
  }

  /** Waits until every given message has at least one outcome; answers the first outcome of each. */
  async waitFor(messageIds: readonly string[], timeoutMs: number): Promise<Outcome[]> {
    const missing = () => messageIds.filter((id) => !this.byCause.has(id));
    await waitFor(() => missing().length === 0, timeoutMs, () => {
      const left = missing();
      return `outcomes of ${messageIds.length} messages (${left.length} missing, e.g. ${left.slice(0, 3).join(', ')}; ${this.total} outcomes seen)`;
    });
    return messageIds.map((id) => this.of(id)[0]!);
  }
}

/** Every event of an SQLite store file, in global order (read through a connection of our own). */
export async function recordedEvents(path: string): Promise<RecordedEvent[]> {
  const store = new SqliteEventStore({ path });
  try {
    const all: RecordedEvent[] = [];
    for (let page = await store.readAll(0, 10_000); page.length > 0; page = await store.readAll(page.at(-1)!.position, 10_000)) all.push(...page);
    return all;
  } finally {
    await store.close();
  }
}

/** kcat from Debian, as a client ifreg did not write; undefined when it is not installed. */
export const kcatPath = ['/usr/bin/kcat', '/usr/local/bin/kcat'].find((path) => existsSync(path));

/** Produces `input` (one message per line) with kcat; the murmur2 partitioner puts a key where Java clients and kafkajs do. */
export function kcat(args: readonly string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kcatPath ?? 'kcat',
      ['-P', '-b', brokers().join(','), '-X', 'topic.partitioner=murmur2_random', ...args],
      { timeout: 15_000 },
      (error, _stdout, stderr) => (error ? reject(new Error(`kcat ${args.join(' ')} failed: ${error.message} ${stderr}`)) : resolve()),
    );
    child.stdin?.end(input);
  });
}

/** The real registrar process (services/registrar/dist/main.js; build it first). */
export class RegistrarProcess extends ServiceProcess {
  constructor(root: string, env: Record<string, string>) {
    super('registrar', join(root, 'services', 'registrar', 'dist', 'main.js'), { env });
  }

  /** Waits for 'registrar started' (needs IFREG_LOG_LEVEL info or lower) and answers its ops URL. */
  async started(timeoutMs: number): Promise<string> {
    return String((await this.waitForLog('registrar started', timeoutMs))['url']);
  }
}
