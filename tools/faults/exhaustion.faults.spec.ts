import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { InterfaceRegistered, RegistrationFailed, RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import {
  Cleanup, RegistrarProcess, bootEpoch, brokers, createTopics, detection, registrarEnv, tempDir,
} from '../../services/registrar/src/testing/kafka-harness';
import { checkInvariantsReport, expectNoViolations, sentInput, waitForGroupCaughtUp, type SentInput } from './invariants';
import { QueryProcess } from './query-process';

/*
 * Scenario 5 of issue 9 (docs/faults.md): index exhaustion and boot epochs, against the real
 * registrar process and the real query service on one SQLite store. One scope is filled to
 * all 65,535 indexes and then asked for more (RESOURCES each time, nothing else changes); a
 * BootEpoch lands in the middle of a burst; LUIDs registered again after it get fresh
 * indexes from 1, as NDIS starts empty after a restart; 1,000 scopes are served at once.
 * After each phase the invariants are checked, including the query service's read model.
 */
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const log = createLogger({ name: 'faults-exhaustion', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
const MAX = 65_535;
let kafka: Kafka;

beforeAll(() => {
  if (brokers().length === 0) return;
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
  kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-faults-exhaustion' }), log);
});
afterAll(() => cleanup.run());

const removal = (scope: string, netLuidIndex: number) => ({
  type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'agent-int', luid: { ifType: 6, netLuidIndex },
});
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeKafka('index exhaustion and boot epochs', () => {
  let env: Record<string, string>;
  let producer: Producer;
  let registrar: RegistrarProcess;
  let store: SqliteEventStore;
  let queryUrl: string;
  const inputs: SentInput[] = [];
  const figures: string[] = [];

  /** Sends the bodies in order (500 a request), keyed by scope, and waits until the registrar has done them all. */
  async function send(bodies: readonly { scope: string }[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    const messages = bodies.map((body) => sentInput(body));
    inputs.push(...messages);
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: env['IFREG_TOPIC_AGENT_MESSAGES']!, messages: messages.slice(i, i + 500).map(({ key, value }) => ({ key, value })) });
    }
    await waitForGroupCaughtUp(kafka, env['IFREG_KAFKA_GROUP']!, env['IFREG_TOPIC_AGENT_MESSAGES']!, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar running: ${registrar.running}; output:\n${registrar.tail()}`);
    });
    return Date.now() - started;
  }

  /** Every event of one scope's stream, in order. */
  const eventsOf = async (scope: string): Promise<RegistryEvent[]> => (await store.readStream(`registry-${scope}`)).map((e) => e.data as RegistryEvent);
  /** GET from the query service once its read model has reached the store's head (read-your-writes). */
  const query = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${queryUrl}${path}${path.includes('?') ? '&' : '?'}minPosition=${await store.headPosition()}&timeoutMs=30000`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const byCause = (events: readonly RegistryEvent[]) => new Map(events.map((e) => [e.causationId, e]));

  async function invariants(phase: string): Promise<void> {
    const report = await checkInvariantsReport({
      store, kafka, outcomesTopic: env['IFREG_TOPIC_OUTCOMES']!, deadLettersTopic: env['IFREG_TOPIC_DEAD_LETTERS']!, inputs, queryUrl, topicTimeoutMs: 120_000,
    });
    expectNoViolations(report, phase);
    figures.push(`${phase}: ${report.counts.inputs} inputs, ${report.counts.events} events, ${report.counts.outcomeRecords} outcome records, ${report.counts.scopes} scopes, 0 violations (check ${report.counts.ms} ms)`);
  }

  beforeAll(async () => {
    if (brokers().length === 0) return;
    env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info' });
    await createTopics(kafka, env);
    registrar = cleanup.add(new RegistrarProcess(root, env), async (r) => void (await r.stop()));
    await registrar.started(30_000);
    producer = cleanup.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    store = cleanup.add(new SqliteEventStore({ path: env['IFREG_SQLITE_PATH']! }), (s) => s.close());
    // The query service follows the store live from the start.
    const query = cleanup.add(new QueryProcess(root, { IFREG_SQLITE_PATH: env['IFREG_SQLITE_PATH']! }), (q) => q.stop());
    queryUrl = await query.started(30_000);
  }, 90_000);
  afterAll(() => {
    if (figures.length > 0) process.stderr.write(`\n[faults] exhaustion:\n${figures.map((f) => `[faults]   ${f}`).join('\n')}\n`);
  });

  it('fills a scope to all 65,535 indexes, answers RESOURCES to each detection after that and changes nothing', async () => {
    // given / when: 65,535 detections, then 100 more
    const scope = 'exh-full';
    const fill = range(1, MAX).map((n) => detection(scope, n));
    const over = range(MAX + 1, MAX + 100).map((n) => detection(scope, n));
    const fillMs = await send(fill, 150_000);
    const overMs = await send(over, 30_000);
    figures.push(`${MAX} detections in one scope registered in ${fillMs} ms (${Math.round((MAX * 1000) / fillMs)}/s); 100 more answered in ${overMs} ms`);

    // then: every index 1..65535 exactly once, in the order handed out
    const events = await eventsOf(scope);
    const registered = events.filter((e): e is InterfaceRegistered => e.type === 'InterfaceRegistered');
    expect(registered).toHaveLength(MAX);
    expect(registered.every((e, i) => e.ifIndex === i + 1 && e.luid.netLuidIndex === i + 1 && e.epoch === 0)).toBe(true);
    // and RESOURCES for each one over, recorded and published, with no other event
    const failures = events.slice(MAX);
    expect(failures).toHaveLength(100);
    for (const failure of failures as RegistrationFailed[]) {
      expect(failure).toMatchObject({ type: 'RegistrationFailed', status: 'RESOURCES', reason: `no free interface index in scope ${scope} (all ${MAX} in use)` });
    }
    const list = await query<{ items: { ifIndex: number; luid: { netLuidIndex: number } }[] }>(`/v1/scopes/${scope}/interfaces?limit=1&after=${MAX - 1}`);
    expect(list.items).toEqual([expect.objectContaining({ ifIndex: MAX, luid: expect.objectContaining({ netLuidIndex: MAX }) })]);
    const scopes = await query<{ items: { scope: string; interfaceCount: number }[] }>('/v1/scopes');
    expect(scopes.items.find((s) => s.scope === scope)?.interfaceCount).toBe(MAX);

    // when: one interface leaves, the only free index goes to the next detection, then the space is full again
    const leave = removal(scope, 40_000);
    const next = detection(scope, 70_000);
    const full = detection(scope, 70_001);
    await send([leave, next, full], 30_000);
    const after = byCause(await eventsOf(scope));
    expect(after.get(leave.messageId)).toMatchObject({ type: 'InterfaceDeregistered', ifIndex: 40_000 });
    expect(after.get(next.messageId)).toMatchObject({ type: 'InterfaceRegistered', ifIndex: 40_000, luid: { ifType: 6, netLuidIndex: 70_000 } });
    expect(after.get(full.messageId)).toMatchObject({ type: 'RegistrationFailed', status: 'RESOURCES' });

    await invariants('after filling exh-full');
  }, 240_000);

  it('applies a BootEpoch in the middle of a burst: later detections start again from ifIndex 1, and LUIDs registered again get fresh indexes', async () => {
    // given: a burst of 1,000 detections, a BootEpoch, 1,000 more, all on one key (one partition, in order)
    const scope = 'exh-boot';
    const before = range(1, 1000).map((n) => detection(scope, n));
    const boot = bootEpoch(scope);
    const during = range(1001, 2000).map((n) => detection(scope, n));
    // then the first 1,000 LUIDs again, in reverse order: the same message content, a new epoch
    const again = range(1, 1000).reverse().map((n) => detection(scope, n));
    // and the full scope of the previous test restarts too
    const fullBoot = bootEpoch('exh-full');
    const fullFirst = detection('exh-full', 123);
    const ms = await send([...before, boot, ...during, ...again, fullBoot, fullFirst], 60_000);
    figures.push(`burst of 3,000 detections with a BootEpoch after the first 1,000, plus a boot of the full scope: ${ms} ms`);

    // then
    const events = byCause(await eventsOf(scope));
    before.forEach((m, i) => expect(events.get(m.messageId)).toMatchObject({ type: 'InterfaceRegistered', epoch: 0, ifIndex: i + 1 }));
    expect(events.get(boot.messageId)).toMatchObject({ type: 'BootEpochStarted', epoch: 1 });
    during.forEach((m, i) => expect(events.get(m.messageId)).toMatchObject({ type: 'InterfaceRegistered', epoch: 1, ifIndex: i + 1 }));
    // LUID 1000 is the first registered again: ifIndex 1001, fresh in epoch 1 (not its old 1000, not a redetection)
    again.forEach((m, i) => expect(events.get(m.messageId)).toMatchObject({ type: 'InterfaceRegistered', epoch: 1, ifIndex: 1001 + i, luid: { netLuidIndex: 1000 - i } }));
    const full = byCause(await eventsOf('exh-full'));
    expect(full.get(fullBoot.messageId)).toMatchObject({ type: 'BootEpochStarted', epoch: 1 });
    expect(full.get(fullFirst.messageId)).toMatchObject({ type: 'InterfaceRegistered', epoch: 1, ifIndex: 1 });
    const list = await query<{ epoch: number; items: unknown[] }>('/v1/scopes/exh-full/interfaces');
    expect(list).toMatchObject({ epoch: 1, items: [expect.objectContaining({ ifIndex: 1, luid: expect.objectContaining({ netLuidIndex: 123 }) })] });
  }, 120_000);

  it('serves 1,000 scopes at once, each with its own index space and epoch', async () => {
    // given: per scope 5 detections, a BootEpoch, 2 detections; scopes interleaved
    const names = range(0, 999).map((i) => `exh-many-${String(i).padStart(4, '0')}`);
    const perScope = names.map((scope) => [...range(1, 5).map((n) => detection(scope, n)), bootEpoch(scope), detection(scope, 9), detection(scope, 3)]);
    const interleaved = range(0, 7).flatMap((step) => perScope.map((messages) => messages[step]!));
    // when
    const ms = await send(interleaved, 150_000);
    figures.push(`1,000 scopes × 8 messages (${interleaved.length}) interleaved: ${ms} ms (${Math.round((interleaved.length * 1000) / ms)}/s)`);
    // then: every scope is in epoch 1 with ifIndex 1 and 2
    const scopes = await query<{ items: { scope: string; epoch: number; interfaceCount: number }[] }>('/v1/scopes');
    const many = scopes.items.filter((s) => s.scope.startsWith('exh-many-'));
    expect(many).toHaveLength(1000);
    expect(many.filter((s) => s.epoch !== 1 || s.interfaceCount !== 2)).toEqual([]);
    for (const scope of [names[0]!, names[499]!, names[999]!]) {
      const events = await eventsOf(scope);
      expect(events.map((e) => (e.type === 'InterfaceRegistered' ? `${e.epoch}:${e.ifIndex}` : e.type))).toEqual(['0:1', '0:2', '0:3', '0:4', '0:5', 'BootEpochStarted', '1:1', '1:2']);
    }

    // and the invariants over everything this file did, the read model of 1,002 scopes included
    await invariants('after all phases');
    expect(registrar.running).toBe(true);
  }, 240_000);
});
