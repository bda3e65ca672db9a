import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectRequest } from '@ifreg/contracts';
import { ObjectServer, WebSocketObjectChannel, type ObjectHandlers } from '@ifreg/agent-sdk';
import { KafkaAgentProducer, KafkaPartitionReader, KafkaSender, createKafka, ensureTopics, kafkaSettings } from '@ifreg/messaging';
import { type Outcome } from '@ifreg/ports';
import { createLogger } from '@ifreg/platform';
import { ServiceProcess, serviceMain, within } from '@ifreg/testing';
import { loadConfig } from './config';
import { startQuery } from './start';

/*
 * Opt-in measurement of provider-bound traffic (IFREG_MEASURE_OBJECTS=1; README "Interface
 * objects"): N simulated providers over Kafka, each with a consumer of its own that reads its
 * scope's partition of the outcomes and object requests (as the Linux agent does), and N over
 * HTTP, each holding a WebSocket to a query replica. Each registers one interface through the
 * built registrar, then OID queries enter the other replica. Reported: query round trip p50/p99
 * and records read per provider per outcome, against readers of the old kind (every partition).
 * Sizes: IFREG_MEASURE_PROVIDERS (1000), IFREG_MEASURE_PARTITIONS (6), IFREG_MEASURE_QUERIES (2000),
 * IFREG_MEASURE_CONCURRENCY (8 queries at a time).
 */

const run = process.env['IFREG_MEASURE_OBJECTS'] === '1' && (process.env['KAFKA_BROKERS'] ?? '') !== '';
// Skipped unless IFREG_MEASURE_OBJECTS=1 (and a broker): a measurement with 2,000 providers, not a check.
const describeMeasure = run ? describe : describe.skip;
const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const N = Number(process.env['IFREG_MEASURE_PROVIDERS'] ?? 1000);
const PARTITIONS = Number(process.env['IFREG_MEASURE_PARTITIONS'] ?? 6);
const QUERIES = Number(process.env['IFREG_MEASURE_QUERIES'] ?? 2000);
const CONCURRENCY = Number(process.env['IFREG_MEASURE_CONCURRENCY'] ?? 8);
const root = join(__dirname, '..', '..', '..');
const log = createLogger({ name: 'objects-measure', level: 'silent' });
const tag = randomUUID().slice(0, 8);
const topics = {
  IFREG_TOPIC_AGENT_MESSAGES: `objm-agent-${tag}`,
  IFREG_TOPIC_OUTCOMES: `objm-outcomes-${tag}`,
  IFREG_TOPIC_DEAD_LETTERS: `objm-dead-${tag}`,
  IFREG_TOPIC_OBJECT_REQUESTS: `objm-requests-${tag}`,
  IFREG_TOPIC_OBJECT_REPLIES: `objm-replies-${tag}`,
};
const kafka = createKafka(kafkaSettings({ brokers, clientId: 'objects-measure' }), log);
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await Promise.resolve().then(close).catch(() => undefined);
}, 300_000);

const say = (line: string): void => void process.stderr.write(`[measure] ${line}\n`);
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}


async function startRegistrar(db: string): Promise<void> {
  const registrar = new ServiceProcess('registrar', serviceMain('registrar'), {
    env: { ...topics, KAFKA_BROKERS: brokers.join(','), IFREG_KAFKA_PARTITIONS: String(PARTITIONS), IFREG_SQLITE_PATH: db, IFREG_SQLITE_SYNC: 'NORMAL', IFREG_HTTP_PORT: '0', IFREG_KAFKA_GROUP: `objm-${tag}`, IFREG_LOG_LEVEL: 'info' },
  });
  closers.push(async () => void (await registrar.stop()));
  await registrar.waitForLog('registrar started', 30_000);
}

const handlers: ObjectHandlers = { queryObject: (q) => ({ status: 'SUCCESS', value: q.providerIfContext }) };

/** Drives `QUERIES` GETs at `CONCURRENCY` against `url` for random targets; answers the sorted latencies. */
async function queries(url: string, targets: readonly { scope: string; ifIndex: number }[]): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < QUERIES) {
        next++;
        const target = targets[Math.floor(Math.random() * targets.length)]!;
        const started = performance.now();
        const response = await fetch(`${url}/v1/scopes/${target.scope}/interfaces/${target.ifIndex}/objects/OID_GEN_OPERATIONAL_STATUS?timeoutMs=10000`);
        const body = (await response.json()) as { status?: string };
        if (response.status !== 200 || body.status !== 'SUCCESS') failures++;
        latencies.push(performance.now() - started);
      }
    }),
  );
  expect(failures).toBe(0);
  return latencies.sort((a, b) => a - b);
}

describeMeasure(`provider-bound traffic with ${N} providers over Kafka and ${N} over HTTP`, () => {
  it('measures round trips and records read per provider', async () => {
    execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root, stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-objects-measure-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, Object.values(topics), PARTITIONS);
    await admin.disconnect();
    const db = join(dir, 'ifreg.db');
    await startRegistrar(db);
    const replica = async () => {
      const service = await startQuery(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: db, IFREG_OBJECTS_KAFKA: 'true', KAFKA_BROKERS: brokers.join(','), IFREG_KAFKA_PARTITIONS: String(PARTITIONS), ...topics, IFREG_LOG_LEVEL: 'silent' }));
      closers.push(() => service.stop());
      return service.url;
    };
    const [a, b] = [await replica(), await replica()];
    const producer = new KafkaAgentProducer(kafka, { topic: topics.IFREG_TOPIC_AGENT_MESSAGES });
    await producer.connect();
    closers.push(() => producer.disconnect());
    const replies = new KafkaSender(kafka, undefined, false);
    await replies.connect();
    closers.push(() => replies.disconnect());

    // Kafka providers: a reader of their scope's partitions each, answering through one shared producer.
    const started = Date.now();
    const kafkaProviders = Array.from({ length: N }, (_, n) => ({ scope: `mk-${tag}-${n}`, reader: undefined as KafkaPartitionReader | undefined, outcome: undefined as Outcome | undefined, requests: 0 }));
    await inBatches(kafkaProviders, 50, async (p) => {
      const reader = new KafkaPartitionReader(kafka, { topics: [topics.IFREG_TOPIC_OUTCOMES, topics.IFREG_TOPIC_OBJECT_REQUESTS], keys: [p.scope], log, groupIdPrefix: 'objm', maxWaitTimeMs: 1000 });
      reader.on(topics.IFREG_TOPIC_OUTCOMES, (message) => {
        const parsed = JSON.parse(message.value?.toString() ?? '{}') as Outcome['event'] & { position: number };
        if (parsed.scope === p.scope) p.outcome = { scope: p.scope, event: parsed, position: parsed.position };
      });
      const server = new ObjectServer({
        scope: p.scope,
        providerId: 'sim',
        log,
        handlers,
        channel: {
          open: async (handle) => void reader.on(topics.IFREG_TOPIC_OBJECT_REQUESTS, (message) => {
            const request = JSON.parse(message.value?.toString() ?? '{}') as ObjectRequest;
            if (request.scope === p.scope) p.requests++;
            handle(request);
          }),
          reply: (request, reply) => replies.send(request.replyTo!.topic, [{ partition: request.replyTo!.partition, key: request.replyTo!.replica, value: JSON.stringify({ ...reply, replica: request.replyTo!.replica }) }]),
          close: async () => undefined,
        },
      });
      await server.start();
      await reader.start();
      p.reader = reader;
      closers.push(() => reader.stop());
    });
    say(`${N} Kafka provider consumers joined and positioned in ${Date.now() - started} ms`);
    // Readers of the old kind (a group of their own on every partition), for comparison.
    const oldKind = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const reader = new KafkaPartitionReader(kafka, { topics: [topics.IFREG_TOPIC_OUTCOMES], log, groupIdPrefix: 'objm-old', maxWaitTimeMs: 1000 });
        await reader.start();
        closers.push(() => reader.stop());
        return reader;
      }),
    );

    // HTTP providers: a WebSocket each to replica B.
    const httpProviders = Array.from({ length: N }, (_, n) => ({ scope: `mh-${tag}-${n}`, frames: 0 }));
    const httpStarted = Date.now();
    await inBatches(httpProviders, 100, async (p) => {
      const channel = new WebSocketObjectChannel({ url: b, scope: p.scope, providerId: 'sim', log });
      const server = new ObjectServer({ scope: p.scope, providerId: 'sim', log, handlers: { queryObject: (q) => (p.frames++, handlers.queryObject(q)) }, channel });
      await server.start();
      closers.push(() => server.stop());
    });
    say(`${N} HTTP providers attached to replica B in ${Date.now() - httpStarted} ms`);

    // Every provider registers one interface; the Kafka ones see their outcome on their partition.
    const detections = [...kafkaProviders, ...httpProviders].map((p, n) => ({
      key: p.scope,
      value: JSON.stringify({ type: 'InterfaceDetected', schemaVersion: 1, messageId: `objm-${n}`, scope: p.scope, providerId: 'sim', luid: { ifType: 6, netLuidIndex: 1 }, providerIfContext: `ctx-${p.scope}`, info: { friendlyName: 'eth0' } }),
    }));
    const registering = Date.now();
    await producer.send(detections);
    await within(
      (async () => {
        while (kafkaProviders.some((p) => !p.outcome)) await new Promise((resolve) => setTimeout(resolve, 100));
      })(),
      240_000,
      'every Kafka provider’s outcome',
    );
    const lastPosition = Math.max(...kafkaProviders.map((p) => p.outcome?.position ?? 0));
    say(`${detections.length} registrations, every Kafka provider had its outcome after ${Date.now() - registering} ms`);
    const outcomesTopic = topics.IFREG_TOPIC_OUTCOMES;
    const readPerProvider = kafkaProviders.map((p) => p.reader?.read.get(outcomesTopic) ?? 0).sort((x, y) => x - y);
    const totalOutcomes = detections.length;
    say(`outcomes read per Kafka provider (per own outcome): median ${percentile(readPerProvider, 50)}, max ${readPerProvider.at(-1)}, of ${totalOutcomes} outcomes in the fleet over ${PARTITIONS} partitions (one partition's share: ${Math.round(totalOutcomes / PARTITIONS)})`);
    await within(
      (async () => {
        while (oldKind.some((r) => (r.read.get(outcomesTopic) ?? 0) < totalOutcomes)) await new Promise((resolve) => setTimeout(resolve, 100));
      })(),
      60_000,
      'the readers of the old kind',
    );
    say(`outcomes read by each of 5 readers of the old kind (a group of its own on every partition): ${oldKind.map((r) => r.read.get(outcomesTopic) ?? 0).join(', ')}`);

    // Queries: all enter replica A; Kafka providers are reached over Kafka, HTTP ones through B's relay.
    await fetch(`${a}/v1/scopes?minPosition=${lastPosition}&timeoutMs=30000`);
    const resolveIndex = async (scope: string) => ({ scope, ifIndex: ((await (await fetch(`${a}/v1/scopes/${scope}/names/eth0?minPosition=${lastPosition}`)).json()) as { ifIndex: number }).ifIndex });
    const kafkaTargets = await Promise.all(kafkaProviders.map((p) => resolveIndex(p.scope)));
    const httpTargets = await Promise.all(httpProviders.map((p) => resolveIndex(p.scope)));
    const requestsBefore = kafkaProviders.map((p) => p.reader?.read.get(topics.IFREG_TOPIC_OBJECT_REQUESTS) ?? 0);
    const viaKafka = await queries(a, kafkaTargets);
    say(`${QUERIES} queries (${CONCURRENCY} at a time) entering replica A for Kafka providers: p50 ${percentile(viaKafka, 50).toFixed(1)} ms, p99 ${percentile(viaKafka, 99).toFixed(1)} ms`);
    const requestsRead = kafkaProviders.map((p, i) => (p.reader?.read.get(topics.IFREG_TOPIC_OBJECT_REQUESTS) ?? 0) - (requestsBefore[i] ?? 0));
    const own = kafkaProviders.reduce((sum, p) => sum + p.requests, 0);
    say(`object requests read per Kafka provider: mean ${(requestsRead.reduce((s, x) => s + x, 0) / N).toFixed(1)} for a mean of ${(own / N).toFixed(2)} of its own (one partition's share of ${QUERIES}: ${Math.round(QUERIES / PARTITIONS)})`);
    const crossed = await queries(a, httpTargets);
    say(`${QUERIES} queries (${CONCURRENCY} at a time) entering replica A for HTTP providers held by replica B: p50 ${percentile(crossed, 50).toFixed(1)} ms, p99 ${percentile(crossed, 99).toFixed(1)} ms`);
    const direct = await queries(b, httpTargets);
    say(`${QUERIES} queries (${CONCURRENCY} at a time) entering replica B for its own HTTP providers: p50 ${percentile(direct, 50).toFixed(1)} ms, p99 ${percentile(direct, 99).toFixed(1)} ms`);
    const frames = httpProviders.reduce((sum, p) => sum + p.frames, 0);
    say(`HTTP providers received ${frames} requests for ${2 * QUERIES} queries about them: each only its own`);
    say(`memory: rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB in the process of the test, replicas and simulated providers`);
  }, 900_000);
});
