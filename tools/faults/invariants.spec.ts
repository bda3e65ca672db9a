import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Partitioners, type Kafka } from 'kafkajs';
import type { RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { ANY, type EventStore, type RecordedEvent } from '@ifreg/ports';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import {
  Cleanup, OutcomeLog, RegistrarProcess, bootEpoch, brokers, createTopics, detection, registrarEnv, tempDir, waitFor,
} from '../../services/registrar/src/testing/kafka-harness';
import {
  checkInvariants, checkInvariantsReport, expectNoViolations, formatViolations, readStore, readTopic, sentInput,
  type InvariantInput, type SentInput, type TopicRecord, type Violation,
} from './invariants';
import { QueryProcess } from './query-process';

/*
 * The invariant checker tested: a clean run against a real registrar and query service
 * passes, and each kind of corruption (store, outcomes, dead letters, read model, inputs)
 * is caught under the right letter, and only that one.
 */
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const log = createLogger({ name: 'faults-invariants', level: process.env['LOG_LEVEL'] ?? 'silent' });
const suite = new Cleanup();
const cleanup = new Cleanup();
const MAX = 4;

let kafka: Kafka;
let env: Record<string, string>;
let store: SqliteEventStore;
let events: RecordedEvent[];
let outcomeRecords: TopicRecord[];
let queryUrl: string;
const inputs: SentInput[] = [];
/** A live interface of scope inv-b (ifIndex 1) and a message id with a recorded outcome. */
let probe: { registered: RegistryEvent; messageId: string };

const letters = (violations: readonly Violation[]): string[] => [...new Set(violations.map((v) => v.invariant))].sort();

describeKafka('the invariant checker', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
    kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-faults-invariants' }), log);
    const dir = tempDir(suite);
    env = registrarEnv(dir, { IFREG_LOG_LEVEL: 'info', IFREG_MAX_IF_INDEX: String(MAX) });
    await createTopics(kafka, env);
    const outcomes = await OutcomeLog.start(kafka, env['IFREG_TOPIC_OUTCOMES']!, log, suite);
    const registrar = suite.add(new RegistrarProcess(root, env), async (r) => void (await r.stop()));
    await registrar.started(30_000);

    // A small history with every kind of outcome: registrations up to the maximum, RESOURCES,
    // a redetection, a removal, an index handed out again, a BootEpoch, a refusal, a
    // redelivered message, and two unreadable inputs (dead letters).
    const a = 'inv-a';
    const b = 'inv-b';
    const bodies: unknown[] = [1, 2, 3, 4, 5].map((n) => detection(a, n));
    const again = { ...detection(a, 1), messageId: randomUUID() };
    const removal = { type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope: a, providerId: 'agent-int', luid: { ifType: 6, netLuidIndex: 2 } };
    const invalid = { ...detection(a, 7), luid: { ifType: 6, netLuidIndex: 2 ** 24 } };
    bodies.push(again, removal, detection(a, 6), invalid, bootEpoch(a), detection(a, 3), detection(b, 1), detection(b, 2));
    for (const body of bodies) inputs.push(sentInput(body));
    inputs.push(inputs[0]!); // the same record produced twice: one event, the outcome published twice
    inputs.push({ key: a, value: '{"scope": "inv-a", ' }, { key: b, value: null });
    const producer = suite.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    await producer.send({ topic: env['IFREG_TOPIC_AGENT_MESSAGES']!, messages: inputs.map(({ key, value }) => ({ key, value })) });

    const ids = bodies.map((body) => (body as { messageId: string }).messageId);
    await outcomes.waitFor(ids, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar output:\n${registrar.tail()}`);
    });
    await waitFor(async () => (await readTopic(kafka, env['IFREG_TOPIC_DEAD_LETTERS']!)).length >= 2, 30_000, () => 'two dead letters');
    await waitFor(() => outcomes.total >= ids.length + 1, 30_000, () => `${ids.length + 1} outcome records (${outcomes.total})`);

    store = suite.add(new SqliteEventStore({ path: env['IFREG_SQLITE_PATH']! }), (s) => s.close());
    events = await readStore(store);
    outcomeRecords = await readTopic(kafka, env['IFREG_TOPIC_OUTCOMES']!);
    const query = suite.add(new QueryProcess(root, { IFREG_SQLITE_PATH: env['IFREG_SQLITE_PATH']! }), (q) => q.stop());
    queryUrl = await query.started(30_000);
    const registered = events.map((e) => e.data as RegistryEvent).find((e) => e.scope === b && e.type === 'InterfaceRegistered');
    probe = { registered: registered!, messageId: (bodies[0] as { messageId: string }).messageId };
  }, 120_000);
  afterEach(() => cleanup.run());
  afterAll(() => suite.run());

  /** The checker's input over a copy of the store with `extra` events appended (and their outcomes published). */
  async function corrupted(extra: readonly RegistryEvent[], overrides: Partial<InvariantInput> = {}): Promise<InvariantInput> {
    const copy = cleanup.add(new SqliteEventStore({ path: join(tempDir(cleanup), 'copy.db') }), (s) => s.close());
    await copyStore(events, copy);
    const published: TopicRecord[] = [];
    for (const event of extra) {
      const { position } = await copy.append(`registry-${event.scope}`, [{ id: randomUUID(), type: event.type, data: event, metadata: {} }], ANY);
      published.push(outcomeRecord(event, position));
    }
    return { ...baseInput(copy), outcomeRecords: [...outcomeRecords, ...published], ...overrides };
  }

  const baseInput = (over: EventStore = store): InvariantInput => ({
    store: over,
    kafka,
    outcomesTopic: env['IFREG_TOPIC_OUTCOMES']!,
    deadLettersTopic: env['IFREG_TOPIC_DEAD_LETTERS']!,
    inputs,
    maxIfIndex: MAX,
  });

  it('passes a clean run: store, both topics read from Kafka, and the real query service', async () => {
    // when
    const report = await checkInvariantsReport({ ...baseInput(), queryUrl });
    // then
    expectNoViolations(report);
    expect(report.violations).toEqual([]);
    expect(report.counts).toMatchObject({ inputs: 16, events: 13, deadLetters: 2, scopes: 2, inputsRecorded: 14, inputsDeadLettered: 2 });
    expect(report.counts.outcomeRecords).toBeGreaterThanOrEqual(14);
    // The history really holds what the checks are about.
    const types = events.map((e) => (e.data as RegistryEvent).type);
    expect(types).toEqual(expect.arrayContaining(['InterfaceRedetected', 'InterfaceDeregistered', 'BootEpochStarted', 'RegistrationFailed']));
    expect(events.some((e) => (e.data as { status?: string }).status === 'RESOURCES')).toBe(true);
    expect(formatViolations(report.violations)).toBe('no invariant violated');
  });

  it('(b) catches a second live interface with one ifIndex', async () => {
    const duplicate = { ...probe.registered, luid: { ifType: 6, netLuidIndex: 999 }, causationId: randomUUID() } as RegistryEvent;
    const violations = await checkInvariants(await corrupted([duplicate]));
    expect(letters(violations)).toEqual(['b']);
    expect(violations[0]?.detail).toMatch(/ifIndex 1 given to .* while .* holds it/);
  });

  it('(b) follows removals and BootEpochs: the same index after a removal or a boot is fine, a stale deregistration is not', async () => {
    const { registered } = probe;
    if (registered.type !== 'InterfaceRegistered') throw new Error('probe is not a registration');
    const removed: RegistryEvent = { type: 'InterfaceDeregistered', scope: registered.scope, epoch: 0, ifIndex: 1, luid: registered.luid, providerId: registered.providerId, causationId: randomUUID(), at: registered.at };
    const reused: RegistryEvent = { ...registered, luid: { ifType: 6, netLuidIndex: 998 }, causationId: randomUUID() };
    const boot: RegistryEvent = { type: 'BootEpochStarted', scope: registered.scope, epoch: 1, causationId: randomUUID(), at: registered.at };
    const afterBoot: RegistryEvent = { ...registered, epoch: 1, causationId: randomUUID() };
    expect(await checkInvariants(await corrupted([removed, reused, boot, afterBoot]))).toEqual([]);

    const stale: RegistryEvent = { ...removed, epoch: 1, ifIndex: 2, causationId: randomUUID() };
    const violations = await checkInvariants(await corrupted([removed, reused, boot, afterBoot, stale]));
    expect(letters(violations)).toEqual(['b']);
    expect(violations[0]?.detail).toMatch(/deregistered ifIndex 2 .* which was not live/);
  });

  it('(c) catches an ifIndex 0', async () => {
    const zero = { ...probe.registered, ifIndex: 0, luid: { ifType: 6, netLuidIndex: 997 }, causationId: randomUUID() } as RegistryEvent;
    const violations = await checkInvariants(await corrupted([zero]));
    expect(letters(violations)).toEqual(['c']);
    expect(violations.map((v) => v.detail).join('\n')).toMatch(/ifIndex 0/);
  });

  it('(c) catches an ifIndex above the maximum, and RESOURCES while indexes are free', async () => {
    const above = { ...probe.registered, ifIndex: MAX + 1, luid: { ifType: 6, netLuidIndex: 996 }, causationId: randomUUID() } as RegistryEvent;
    const resources: RegistryEvent = {
      type: 'RegistrationFailed', scope: probe.registered.scope, epoch: 0, messageType: 'InterfaceDetected', status: 'RESOURCES', reason: 'no free interface index', causationId: randomUUID(), at: probe.registered.at,
    };
    const violations = await checkInvariants(await corrupted([above, resources]));
    expect(letters(violations)).toEqual(['c']);
    expect(violations.map((v) => v.detail).join('\n')).toMatch(/ifIndex 5 \(allowed 1..4\)[\s\S]*RESOURCES at position \d+ while only \d of 4 indexes are live/);
  });

  it('(a) catches a lost outcome, a second recorded outcome for one message, and a published outcome that differs', async () => {
    // a lost outcome: the recorded registration was never published
    const lost = outcomeRecords.filter((r) => causationOf(r) !== probe.messageId);
    const lostViolations = await checkInvariants({ ...baseInput(), outcomeRecords: lost });
    expect(letters(lostViolations)).toEqual(['a']);
    expect(lostViolations[0]?.detail).toContain(`message ${probe.messageId} in scope inv-a has a recorded InterfaceRegistered`);

    // two recorded outcomes for one message
    const second = { ...probe.registered, type: 'RegistrationFailed', status: 'INTERFACE_EXISTS', reason: 'again', messageType: 'InterfaceDetected' } as unknown as RegistryEvent;
    const { ifIndex: _i, providerId: _p, providerIfContext: _c, info: _n, detectedAt: _d, ...failed } = second as unknown as Record<string, unknown>;
    const doubled = await checkInvariants(await corrupted([failed as unknown as RegistryEvent]));
    expect(letters(doubled)).toEqual(['a']);
    expect(doubled.map((v) => v.detail).join('\n')).toMatch(/has 2 recorded outcomes/);

    // an outcome whose content is not the recorded one
    const changed = outcomeRecords.map((r) => {
      if (causationOf(r) !== probe.messageId) return r;
      const value = JSON.parse(r.value!.toString()) as Record<string, unknown>;
      return { ...r, value: Buffer.from(JSON.stringify({ ...value, ifIndex: 3 })) };
    });
    const differing = await checkInvariants({ ...baseInput(), outcomeRecords: changed });
    expect(letters(differing)).toEqual(['a']);
    expect(differing[0]?.detail).toMatch(/differs from the recorded outcome/);
  });

  it('(d) catches a read model that differs from the store', async () => {
    // given: the real query service behind a proxy that loses the first interface of each list
    const proxy = cleanup.add(await lossyProxy(queryUrl), (server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    // when
    const violations = await checkInvariants({ ...baseInput(), queryUrl: url });
    // then
    expect(letters(violations)).toEqual(['d']);
    expect(violations.map((v) => v.detail).join('\n')).toMatch(/inv-b: interfaces differ from the store: 1 items, expected 2; missing 1/);
  });

  it('(e) catches an input that is neither in the store nor dead-lettered', async () => {
    const neverSent = sentInput(detection('inv-a', 42));
    const lost = await checkInvariants({ ...baseInput(), inputs: [...inputs, neverSent] });
    expect(letters(lost)).toEqual(['e']);
    expect(lost[0]?.detail).toContain(`message ${neverSent.messageId} in scope inv-a`);

    const noDeadLetters = await checkInvariants({ ...baseInput(), deadLetterRecords: [] });
    expect(letters(noDeadLetters)).toEqual(['e']);
    expect(noDeadLetters).toHaveLength(2);
    expect(noDeadLetters.map((v) => v.detail).join('\n')).toMatch(/unreadable \(not JSON/);
  });

  it('expectNoViolations throws a summary that names the invariant and the first details', () => {
    const violations: Violation[] = [
      { invariant: 'b', detail: 'inv: ifIndex 1 given twice' },
      ...Array.from({ length: 7 }, (_, i): Violation => ({ invariant: 'e', detail: `lost ${i}` })),
    ];
    expect(() => expectNoViolations(violations, 'scenario x')).toThrow(/^scenario x: 8 invariant violation\(s\):\n\(b\) no scope ever had two live interfaces with one ifIndex: 1\n {4}- inv: ifIndex 1 given twice\n\(e\) every input is an event or a dead-letter record: 7\n[\s\S]*… and 2 more$/);
    expect(() => expectNoViolations([])).not.toThrow();
  });
});

/** The same events, positions and ids in another store (appended in global order). */
async function copyStore(events: readonly RecordedEvent[], into: EventStore): Promise<void> {
  for (const e of events) await into.append(e.stream, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], ANY);
}

function outcomeRecord(event: RegistryEvent, position: number): TopicRecord {
  return { partition: 0, offset: String(1_000_000 + position), key: event.scope, value: Buffer.from(JSON.stringify({ ...event, position })), headers: { ce_id: `${event.causationId}:outcome` } };
}

/** The message an outcome record answers: its value carries the causationId (DESIGN §2.9). */
const causationOf = (r: TopicRecord): unknown => (JSON.parse(r.value?.toString() ?? '{}') as { causationId?: unknown }).causationId;

/** An HTTP proxy to the query service that drops the first item of every interface list. */
async function lossyProxy(target: string): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      const upstream = await fetch(`${target}${request.url ?? '/'}`);
      let text = await upstream.text();
      if (/\/interfaces(\?|$)/.test(request.url ?? '') && upstream.ok) {
        const body = JSON.parse(text) as { items: unknown[] };
        text = JSON.stringify({ ...body, items: body.items.slice(1) });
      }
      response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    })().catch((error: unknown) => response.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
