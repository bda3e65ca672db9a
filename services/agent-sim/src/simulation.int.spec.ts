import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createKafka, kafkaSettings, type KafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { planMessages } from './generator';
import { INVALID_KINDS } from './invalid';
import type { Clock } from './pacer';
import { runSimulation, type SimulationOptions } from './runner';

// Against the real broker (tools/jest/global-setup.js sets KAFKA_BROKERS) and the real
// registrar process; skipped, visibly, when there is no broker.
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
if (brokers.length === 0) console.warn('KAFKA_BROKERS is not set: the agent-sim integration tests are skipped');
const root = join(__dirname, '..', '..', '..');
const log = createLogger({ name: 'agent-sim-int', level: process.env['LOG_LEVEL'] ?? 'silent' });

/** Everything a test opened, closed in reverse order after it (even when it failed). */
const closers: (() => Promise<void> | void)[] = [];
const closeLater = <T>(thing: T, close: (thing: T) => Promise<void> | void): T => {
  closers.push(() => close(thing));
  return thing;
};
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

beforeAll(() => {
  if (brokers.length > 0) execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
});

/** Fresh topics for one test, as the registrar and the simulator both name them. */
function freshKafka(): { settings: KafkaSettings; env: Record<string, string> } {
  const id = randomUUID();
  const topics = { agentMessages: `ifreg-test-sim-in-${id}`, outcomes: `ifreg-test-sim-out-${id}`, deadLetters: `ifreg-test-sim-dead-${id}` };
  return {
    settings: kafkaSettings({ brokers, clientId: 'ifreg-agent-sim-int', partitions: 3, topics }),
    env: {
      KAFKA_BROKERS: brokers.join(','),
      IFREG_KAFKA_PARTITIONS: '3',
      IFREG_TOPIC_AGENT_MESSAGES: topics.agentMessages,
      IFREG_TOPIC_OUTCOMES: topics.outcomes,
      IFREG_TOPIC_DEAD_LETTERS: topics.deadLetters,
      IFREG_KAFKA_GROUP: `ifreg-test-sim-registrar-${id}`,
    },
  };
}

/** `node services/registrar/dist/main.js`, stopped with SIGTERM after the test; its output kept for failures. */
function spawnRegistrar(env: Record<string, string>): { readonly output: string[]; readonly exited: Promise<number | null> } {
  const dir = closeLater(mkdtempSync(join(tmpdir(), 'ifreg-sim-int-')), (d) => rmSync(d, { recursive: true, force: true }));
  const child: ChildProcess = spawn(process.execPath, [join(root, 'services', 'registrar', 'dist', 'main.js')], {
    env: { ...process.env, ...env, IFREG_SQLITE_PATH: join(dir, 'events.db'), IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  closeLater(child, async (c) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  return { output, exited };
}

/** Every record of a topic, read from the beginning until `done` holds (or the time is up). */
async function readTopic(kafka: Kafka, topic: string, done: (records: readonly KafkaMessage[]) => boolean, timeoutMs: number): Promise<KafkaMessage[]> {
  const records: KafkaMessage[] = [];
  const consumer = closeLater(kafka.consumer({ groupId: `ifreg-test-reader-${randomUUID()}`, maxWaitTimeInMs: 100 }), (c) => c.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  const deadline = Date.now() + timeoutMs;
  while (!done(records) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return records;
}

const baseOptions = (settings: KafkaSettings): SimulationOptions => ({
  kafka: settings,
  seed: 2026,
  runId: `int-${randomUUID().slice(0, 8)}`,
  scopes: 3,
  providers: 2,
  interfaces: 5,
  scopePrefix: 'simint',
  churn: 0.2,
  invalid: 0.1,
  invalidKinds: INVALID_KINDS,
  startTime: Date.parse('2026-11-24T12:00:00.000Z'),
  rate: 0,
  count: 300,
  bootEverySec: 0,
  initialBoot: true,
  wait: true,
  waitTimeoutSec: 60,
});

describeKafka('the simulator against a real registrar process: 3 scopes × 2 providers × 5 interfaces, 10% invalid, churn 0.2', () => {
  it('gets the expected outcome for every readable message, none for the unreadable ones, which are dead letters', async () => {
    // given
    const { settings, env } = freshKafka();
    const registrar = spawnRegistrar(env);
    const options = baseOptions(settings);
    // when
    const summary = await runSimulation(options, { log }).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar output:\n${registrar.output.join('\n')}`);
    });
    // then: every outcome arrived, each the one the plan expected
    const context = `summary: ${JSON.stringify(summary)}\nregistrar output:\n${registrar.output.slice(-20).join('\n')}`;
    expect({ ok: summary.ok, missing: summary.outcomes?.missing, mismatches: summary.outcomes?.mismatches, context }).toEqual({ ok: true, missing: 0, mismatches: [], context });
    const { sent, outcomes, deadLettersExpected } = summary;
    const action = (name: string) => sent.byAction[name] ?? 0;
    expect(summary.stoppedBy).toBe('count');
    expect(sent.total).toBe(300 + 3);
    expect(Object.values(sent.byType).reduce((a, b) => a + b, 0)).toBe(sent.total);
    expect(action('boot')).toBe(3);
    expect(sent.invalid.total).toBeGreaterThan(10);
    expect(deadLettersExpected).toBe((sent.invalid.byKind['not-json'] ?? 0) + (sent.invalid.byKind['bad-scope'] ?? 0));
    // valid detections registered (no INTERFACE_EXISTS or other failure), the spoiled ones refused as INVALID_PARAMETER
    expect(outcomes?.byType).toEqual({
      BootEpochStarted: action('boot'),
      InterfaceRegistered: action('detect') + action('redetect') + action('reannounce'),
      InterfaceDeregistered: action('remove'),
      RegistrationFailed: sent.invalid.total - deadLettersExpected,
    });
    expect(outcomes?.byStatus).toEqual({ INVALID_PARAMETER: sent.invalid.total - deadLettersExpected });
    expect(outcomes).toMatchObject({ expected: sent.total - deadLettersExpected, received: sent.total - deadLettersExpected, duplicates: 0, foreign: 0 });
    expect(summary.latencyMs?.count).toBe(outcomes?.received);
    expect(summary.latencyMs?.p50).toBeLessThanOrEqual(summary.latencyMs?.p99 ?? 0);

    // the unreadable messages are on the dead-letter topic, and have no outcome on the outcomes topic
    const kafka = createKafka(settings, log);
    const dead = await readTopic(kafka, settings.topics.deadLetters, (r) => r.length >= deadLettersExpected, 20_000);
    expect(dead).toHaveLength(deadLettersExpected);
    const reasons = dead.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { reason: string }).reason);
    expect(reasons.every((reason) => /^not JSON|^scope /.test(reason))).toBe(true);
    // The same options give the same messages: the plan tells which ids were unreadable.
    const plan = planMessages(options, options.count ?? 0, true);
    expect(plan.map((m) => m.messageId)).toHaveLength(sent.total);
    const unreadable = new Set(plan.filter((m) => m.expected.type === 'dead-letter').map((m) => m.messageId));
    expect(unreadable.size).toBe(deadLettersExpected);
    const published = await readTopic(kafka, settings.topics.outcomes, (r) => r.length >= sent.total - deadLettersExpected, 20_000);
    const causes = published.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { causationId: string }).causationId);
    expect(causes.filter((id) => unreadable.has(id))).toEqual([]);
    expect(new Set(causes)).toEqual(new Set(plan.filter((m) => m.expected.type !== 'dead-letter').map((m) => m.messageId)));
  }, 120_000);
});

describeKafka('a paced simulation bounded by duration, with BootEpochs every second and no registrar', () => {
  it('stops by itself after the duration, at the asked rate, in batches the broker took', async () => {
    // given: a clock that moves only when the pacer waits, so the plan is the same however
    // slow the machine is
    const { settings } = freshKafka();
    const clock = new VirtualClock();
    const progress: number[] = [];
    // when
    const summary = await runSimulation(
      { ...baseOptions(settings), count: undefined, durationSec: 2.5, rate: 200, bootEverySec: 1, wait: false },
      { log, clock, onProgress: (p) => progress.push(p.sent), progressIntervalMs: 500 },
    );
    // then
    expect(summary.stoppedBy).toBe('duration');
    expect(clock.now()).toBeGreaterThanOrEqual(2500);
    expect(clock.now()).toBeLessThan(2500 + 10);
    // 2.5 s at 200/s plus the bucket's first 50 ms worth; BootEpochs come on top
    const steps = summary.sent.total - (summary.sent.byAction['boot'] ?? 0);
    expect(steps).toBeGreaterThanOrEqual(500);
    expect(steps).toBeLessThanOrEqual(511);
    expect(summary.sent.byAction['boot']).toBe(3 * 3); // initial, after 1 s and after 2 s
    expect(summary.outcomes).toBeUndefined();
    expect(progress.at(-1)).toBe(summary.sent.total);
    // what was sent is on the topic
    const records = await readTopic(createKafka(settings, log), settings.topics.agentMessages, (r) => r.length >= summary.sent.total, 20_000);
    expect(records).toHaveLength(summary.sent.total);
  }, 60_000);
});

/** Virtual milliseconds: `sleep` moves time on at once (after letting I/O run). */
class VirtualClock implements Clock {
  private ms = 0;
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.ms += ms;
  }
}
