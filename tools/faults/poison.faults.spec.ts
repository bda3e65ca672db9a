import type { Kafka } from 'kafkajs';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { checkScenario, openStore } from './support/check';
import { buildWorkspace, Cleanup } from '@ifreg/testing';
import { freshSchema, sql } from './support/postgres';
import { figure, scenarioSeed } from './support/random';
import { deployment, startQuery, startRegistrar } from './support/service';
import { agentProducer, createTopics, produceSteadily, waitDrained, workload, type WorkloadMessage } from './support/workload';

/*
 * Fault scenario "poison" (DESIGN §2.4, issue 14): messages that once stopped the registry,
 * among a steady load on the machine's PostgreSQL, with a dedupe window of 1,000:
 * detections whose friendly name holds a NUL (jsonb refuses them: a lasting store error, once
 * a partition crash loop), old messages produced again long after the window forgot them
 * (once a crash loop), and old message ids re-used for other content. Each poison must be
 * refused or answered from the store, the partitions must keep flowing with no consumer
 * restart, and the invariants must hold.
 */
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const url = process.env['IFREG_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'faults-poison', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
let kafka: Kafka;

beforeAll(() => {
  if (brokers.length === 0) return;
  buildWorkspace();
  kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-faults-poison' }), log);
});
afterEach(() => cleanup.run(), 60_000);

/** A detection of the workload with a NUL in its friendly name (same id, scope and LUID). */
function withNul(message: WorkloadMessage): WorkloadMessage {
  const body = JSON.parse(message.value) as { info: { friendlyName: string } };
  body.info.friendlyName = `${body.info.friendlyName}\u0000poison`;
  return { ...message, value: JSON.stringify(body) };
}

/** The same message id with other content (another LUID). */
function reused(message: WorkloadMessage): WorkloadMessage {
  const body = JSON.parse(message.value) as { luid: { netLuidIndex: number } };
  body.luid.netLuidIndex += 1_000_000;
  return { ...message, value: JSON.stringify(body) };
}

describeKafka('poison messages under load (PostgreSQL, dedupe window 1,000)', () => {
  it('are refused or answered from the store; the registry keeps flowing and the invariants hold', async () => {
    const random = scenarioSeed('poison');
    const schema = freshSchema('poison');
    cleanup.add(schema, (s) => sql(url, `DROP SCHEMA IF EXISTS "${s}" CASCADE`).then(() => undefined), 'schema');
    const d = deployment('poison', brokers.join(','), { IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: url, IFREG_POSTGRES_SCHEMA: schema }, {
      registrar: { IFREG_DEDUPE_WINDOW: '1000' },
    });
    await createTopics(kafka, d);
    const registrar = await startRegistrar(cleanup, d);
    const producer = await agentProducer(kafka, d, cleanup);

    // 4,000 messages over 4 scopes (about 1,000 each: the window forgets the early ones), 2 % with a NUL.
    const base = workload(random, { scopes: 4, count: 4_000, prefix: 'poi', remove: 0.05, reannounce: 0.03, invalid: 0.01, unreadable: 0.005 });
    const first = base.map((m) => (m.kind === 'detect' && random.next() < 0.02 ? withNul(m) : m));
    await produceSteadily(cleanup, producer, first, { chunk: 100, intervalMs: 20 }).done;
    await waitDrained(kafka, d, 90_000, () => `; registrar:\n${registrar.tail()}`);

    // Then 300 of the first 1,000 again (redeliveries after the window) and 100 of them re-used for other content.
    const early = first.slice(0, 1_000).filter((m) => m.messageId !== undefined);
    const again = Array.from({ length: 300 }, () => random.pick(early));
    const others = Array.from({ length: 100 }, () => reused(random.pick(early.filter((m) => m.kind === 'detect'))));
    const late = [...again, ...others, ...workload(random, { scopes: 4, count: 200, prefix: 'poi-late' })];
    await produceSteadily(cleanup, producer, late, { chunk: 50, intervalMs: 20 }).done;
    await waitDrained(kafka, d, 90_000, () => `; registrar:\n${registrar.tail()}`);

    const { url: queryUrl } = await startQuery(cleanup, d.store);
    const report = await checkScenario('poison', kafka, d, [...first, ...late], { queryUrl });
    const store = await openStore(d);
    const refused = (await store.readAll(0, 1_000_000)).filter((e) => /could not be recorded/.test(String((e.data as { reason?: unknown }).reason)));
    await store.close();
    const nul = first.filter((m) => m.value.includes('\\u0000')).length;
    figure('poison', JSON.stringify({
      messages: first.length + late.length,
      nulDetections: nul,
      refusedAsUnrecordable: refused.length,
      redelivered: again.length,
      reused: others.length,
      batchFailuresLogged: registrar.count('agent message batch failed; it will be fetched again from the last committed offset'),
      consumerRestarts: registrar.count('agent message consumer crashed'),
      messageIdReusesLogged: registrar.count('message id re-used for different content: answered with what was recorded for it'),
      invariantCounts: report.counts,
    }));
    expect(refused.length).toBe(nul);
    expect(nul).toBeGreaterThan(0);
    expect(registrar.count('agent message batch failed; it will be fetched again from the last committed offset')).toBe(0);
    expect(registrar.count('agent message consumer crashed')).toBe(0);
    expect(registrar.count('message id re-used for different content: answered with what was recorded for it')).toBeGreaterThan(0);
    expect(registrar.running).toBe(true);
  }, 240_000);
});
