import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Client } from 'pg';
import type { EventData } from '@ifreg/ports';
import { perSecond, repeat, summarize, type Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { RawConsumer, benchKafka, connectedProducer, createTopics, produce, sustainedRate } from '../support/kafka-load';
import { serviceMain } from '../support/paths';
import { createRawEventsTable, dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';
import { getJson, startQueryService } from '../support/query-service';
import { ScopeRecorder, detectionJson } from '../support/registry-events';
import { percentilePerSlice } from '../support/stats';
import { ServiceProcess, sleep, waitFor } from '@ifreg/testing';
import { WatchStream } from '../support/watch-stream';

/** Detections per throughput repetition, over SCOPES scopes (keys), preloaded on the topic. */
const DETECTIONS = 30_000;
const SCOPES = 16;
/** The registrar's defaults: IFREG_KAFKA_PARTITIONS and IFREG_BATCH_SIZE. */
const PARTITIONS = 6;
const BATCH = 500;
/** Seconds of offered load in the latency phase, cut into slices for a median and a spread. */
const LATENCY_SECONDS = 8;
const LATENCY_SLICES = 5;
/** netLuidIndex is unique per detection within a variant: it maps an SSE event back to its message. */
const MAX_IDS = 1 << 20;

type Variant = 'sqlite' | 'postgres';

interface Topics {
  readonly agentMessages: string;
  readonly outcomes: string;
  readonly deadLetters: string;
}

/** Everything one variant (one store kind) shares between its repetitions. */
interface Rig {
  readonly variant: Variant;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly brokers: string[];
  readonly storeEnv: Record<string, string>;
  /** performance.now() when the query service's watch stream showed each netLuidIndex registered. */
  readonly seenAt: Float64Array;
  seen: number;
  failed: number;
  nextId: number;
  readonly topics: string[];
  readonly dir: string;
  readonly cpuProfDir: string | undefined;
}

const freshTopics = (run: string): Topics => ({
  agentMessages: `ifreg-bench-agent-messages-${run}`,
  outcomes: `ifreg-bench-outcomes-${run}`,
  deadLetters: `ifreg-bench-dead-letters-${run}`,
});

async function startRegistrar(rig: Rig, topics: Topics): Promise<{ registrar: ServiceProcess; url: string }> {
  const registrar = new ServiceProcess('registrar', serviceMain('registrar'), {
    env: {
      ...rig.storeEnv,
      KAFKA_BROKERS: rig.brokers.join(','),
      IFREG_TOPIC_AGENT_MESSAGES: topics.agentMessages,
      IFREG_TOPIC_OUTCOMES: topics.outcomes,
      IFREG_TOPIC_DEAD_LETTERS: topics.deadLetters,
      IFREG_KAFKA_GROUP: `ifreg-bench-registrar-${randomUUID()}`,
      IFREG_KAFKA_PARTITIONS: String(PARTITIONS),
      IFREG_BATCH_SIZE: String(BATCH),
      IFREG_HTTP_PORT: '0',
      IFREG_LOG_LEVEL: 'info',
    },
    ...(rig.cpuProfDir === undefined ? {} : { cpuProfDir: rig.cpuProfDir }),
  });
  try {
    const url = String((await registrar.waitForLog('registrar started', 60_000))['url']);
    return { registrar, url };
  } catch (error) {
    await registrar.stop();
    throw error;
  }
}

/** Detections with fresh netLuidIndexes (the ids) over the repetition's scopes. */
function detections(rig: Rig, count: number, run: string): { ids: number[]; messages: { key: string; value: string }[] } {
  const ids: number[] = [];
  const messages: { key: string; value: string }[] = [];
  for (let i = 0; i < count; i++) {
    const id = rig.nextId++;
    if (id >= MAX_IDS) throw new Error('out of netLuidIndexes for this variant');
    const scope = `${run}-s${i % SCOPES}`;
    ids.push(id);
    messages.push({ key: scope, value: detectionJson(scope, id) });
  }
  return { ids, messages };
}

async function waitSeen(rig: Rig, target: number, timeoutMs: number, what: string): Promise<void> {
  await waitFor(() => rig.seen >= target || rig.failed > 0, timeoutMs, () => `${what}: ${rig.seen} of ${target} registrations shown`, 10);
  if (rig.failed > 0) throw new Error(`${rig.failed} detections failed in the pipeline (RegistrationFailed); expected none`);
}

/** One throughput repetition: preload the topic, start a registrar, rate of registrations shown by the query service. */
async function throughputRun(rig: Rig, rates: { pipeline: number[]; kafka: number[]; store: number[] }): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const topics = freshTopics(run);
  rig.topics.push(topics.agentMessages, topics.outcomes, topics.deadLetters);
  await createTopics(rig.admin, [topics.agentMessages, topics.outcomes, topics.deadLetters], PARTITIONS);
  const { ids, messages } = detections(rig, DETECTIONS, run);
  await produce(rig.producer, topics.agentMessages, messages);

  const target = rig.seen + ids.length;
  const { registrar } = await startRegistrar(rig, topics);
  try {
    await waitSeen(rig, target, 120_000, 'the preloaded detections');
  } finally {
    await registrar.stop();
  }
  rates.pipeline.push(sustainedRate(ids.map((id) => rig.seenAt[id] ?? 0)));

  // Baseline 1: a plain kafkajs consumer group reading the same messages from the same broker.
  const raw = new RawConsumer(rig.kafka, `ifreg-bench-raw-${run}`);
  await raw.start(topics.agentMessages);
  await raw.received(ids.length);
  await raw.stop();
  rates.kafka.push(sustainedRate(raw.arrivals));

  // Baseline 2: the store's raw batch append of the events the registrar recorded for them.
  rates.store.push(await rawAppendRate(rig, registeredEvents(messages)));
}

/** What the registrar appends for these detections: InterfaceRegistered events, by scope. */
function registeredEvents(messages: readonly { key: string; value: string }[]): Map<string, EventData[]> {
  const recorders = new Map<string, ScopeRecorder>();
  const out = new Map<string, EventData[]>();
  for (const { key, value } of messages) {
    const recorder = recorders.get(key) ?? new ScopeRecorder(key);
    recorders.set(key, recorder);
    const message = JSON.parse(value) as { luid: { netLuidIndex: number } };
    const events = out.get(key) ?? [];
    events.push(...recorder.detect(message.luid.netLuidIndex));
    out.set(key, events);
  }
  return out;
}

/** Batches of BATCH events per stream, streams in turn, as the registrar's appends come. */
function* batches(byScope: Map<string, EventData[]>): Generator<{ stream: string; events: EventData[]; revision: number }> {
  let offset = 0;
  for (let more = true; more; offset += BATCH) {
    more = false;
    for (const [scope, events] of byScope) {
      if (offset >= events.length) continue;
      more = true;
      yield { stream: `registry-${scope}`, events: events.slice(offset, offset + BATCH), revision: offset - 1 };
    }
  }
}

async function rawAppendRate(rig: Rig, byScope: Map<string, EventData[]>): Promise<number> {
  const total = [...byScope.values()].reduce((n, events) => n + events.length, 0);
  if (rig.variant === 'sqlite') {
    // better-sqlite3 alone: the adapter's table and pragmas (WAL, synchronous=FULL), one transaction per batch.
    const db = new Database(join(mkdtempSync(join(rig.dir, 'raw-')), 'raw.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream, revision))`);
      const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const append = db.transaction((stream: string, events: EventData[], revision: number) => {
        const at = new Date().toISOString();
        for (const e of events) insert.run(stream, ++revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata ?? {}), at);
      });
      const started = process.hrtime.bigint();
      for (const batch of batches(byScope)) append(batch.stream, batch.events, batch.revision);
      return perSecond(total, started);
    } finally {
      db.close();
    }
  }
  // node-postgres alone: the adapter's table, one INSERT … jsonb_array_elements per batch (see store-postgres).
  const schema = freshSchema('pipeline_raw');
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const { insert } = await createRawEventsTable(client, schema);
    let position = 0;
    const started = process.hrtime.bigint();
    for (const batch of batches(byScope)) {
      const docs = JSON.stringify(batch.events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata ?? {} })));
      await client.query({ name: 'insert', text: insert, values: [position, batch.stream, batch.revision, docs] });
      position += batch.events.length;
    }
    return perSecond(total, started);
  } finally {
    await client.end();
    await dropSchema(schema);
  }
}

type Percentile = 50 | 95 | 99;
const PERCENTILES: readonly Percentile[] = [50, 95, 99];

interface Latencies {
  /** Per percentile, one value per slice of the run (ms). */
  readonly pipeline: Record<Percentile, number[]>;
  readonly kafka: Record<Percentile, number[]>;
}

/**
 * Offered load of `rate` detections/s for LATENCY_SECONDS to an idle, running registrar:
 * latency = produce (just before the send) → the registration on the query service's watch
 * stream; the baseline, produce → a plain kafkajs consumer of the same topic, at the same time.
 */
async function latencyRun(rig: Rig, rate: number): Promise<Latencies> {
  const run = randomUUID().slice(0, 8);
  const topics = freshTopics(run);
  rig.topics.push(topics.agentMessages, topics.outcomes, topics.deadLetters);
  await createTopics(rig.admin, [topics.agentMessages, topics.outcomes, topics.deadLetters], PARTITIONS);
  const sentAt = new Float64Array(MAX_IDS);
  const rawAt = new Float64Array(MAX_IDS);
  const raw = new RawConsumer(rig.kafka, `ifreg-bench-raw-${run}`, (value, at) => {
    const id = /"netLuidIndex":(\d+)/.exec(value?.toString('utf8') ?? '')?.[1];
    if (id !== undefined) rawAt[Number(id)] = at;
  });
  await raw.start(topics.agentMessages);
  const { registrar, url } = await startRegistrar(rig, topics);
  const { ids, messages } = detections(rig, Math.ceil(rate * LATENCY_SECONDS), run);
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, 30_000, () => 'the registrar to join its group', 50);
    // Sends what is due every few milliseconds, so the offered rate holds even when a send is slow.
    const started = performance.now();
    for (let sent = 0; sent < ids.length; await sleep(5)) {
      const due = Math.min(ids.length, Math.floor((rate * (performance.now() - started)) / 1000));
      if (due <= sent) continue;
      const now = performance.now();
      for (let i = sent; i < due; i++) sentAt[ids[i] ?? 0] = now;
      await produce(rig.producer, topics.agentMessages, messages.slice(sent, due));
      sent = due;
    }
    await waitFor(() => ids.every((id) => (rig.seenAt[id] ?? 0) > 0) || rig.failed > 0, 60_000, () => 'the offered detections on the watch stream', 20);
    if (rig.failed > 0) throw new Error(`${rig.failed} detections failed in the pipeline (RegistrationFailed); expected none`);
    await raw.received(ids.length);
  } finally {
    await registrar.stop();
    await raw.stop();
  }
  const perSlice = (arrived: Float64Array): Record<Percentile, number[]> => {
    const latencies = ids.map((id) => (arrived[id] ?? 0) - (sentAt[id] ?? 0));
    return { 50: percentilePerSlice(latencies, LATENCY_SLICES, 50), 95: percentilePerSlice(latencies, LATENCY_SLICES, 95), 99: percentilePerSlice(latencies, LATENCY_SLICES, 99) };
  };
  return { pipeline: perSlice(rig.seenAt), kafka: perSlice(rawAt) };
}

const STORE_LABEL: Record<Variant, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** One store kind: a query service and its watch stream for all its runs, a fresh registrar and topics per run. */
async function variantFigures(ctx: BenchContext, variant: Variant): Promise<Figure[]> {
  const brokers = ctx.kafkaBrokers();
  const kafka = benchKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const producer = await connectedProducer(kafka);
  const dir = mkdtempSync(join(ctx.tmpDir, `pipeline-${variant}-`));
  const schema = variant === 'postgres' ? freshSchema('pipeline') : undefined;
  const storeEnv: Record<string, string> =
    schema === undefined
      ? { IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: join(dir, 'events.db') }
      : { IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: postgresUrl(), IFREG_POSTGRES_SCHEMA: schema };
  const rig: Rig = { variant, kafka, admin, producer, brokers, storeEnv, seenAt: new Float64Array(MAX_IDS), seen: 0, failed: 0, nextId: 1, topics: [], dir, cpuProfDir: ctx.cpuProfDir };
  let watch: WatchStream | undefined;
  let query: ServiceProcess | undefined;
  try {
    const started = await startQueryService(storeEnv, ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir });
    query = started.service;
    const { position } = await getJson<{ position: number }>(`${started.url}/v1/scopes`);
    watch = new WatchStream(`${started.url}/v1/watch?from=${position}`, (kind, data, at) => {
      if (kind === 'failed') rig.failed++;
      if (kind !== 'registered') return;
      const id = /"netLuidIndex":(\d+)/.exec(data)?.[1];
      if (id === undefined) return;
      rig.seenAt[Number(id)] = at;
      rig.seen++;
    });
    await watch.opened;

    const plan = capped(ctx, 3);
    const rates = { pipeline: [] as number[], kafka: [] as number[], store: [] as number[] };
    await repeat(async () => {
      await throughputRun(rig, rates);
      return 0;
    }, plan);
    const pipeline = rates.pipeline.slice(plan.warmup);
    const kafkaRates = rates.kafka.slice(plan.warmup);
    const storeRates = rates.store.slice(plan.warmup);
    const slower = pipeline.map((_, i) => Math.min(kafkaRates[i] ?? 0, storeRates[i] ?? 0));
    const median = (xs: number[]): string => Math.round(summarize(xs).median).toLocaleString('en-US');
    ctx.log(`pipeline (${STORE_LABEL[variant]}): baselines kafkajs consume ${median(kafkaRates)}/s, raw store append ${median(storeRates)}/s (batches of ${BATCH})`);

    const offered = Math.max(100, Math.round(summarize(pipeline).median / 2));
    const latency = await latencyRun(rig, offered);
    const store = STORE_LABEL[variant];
    const figures: Figure[] = [
      {
        name: `${store}: detections Kafka → query API, sustained (${DETECTIONS.toLocaleString('en-US')} preloaded, ${SCOPES} scopes, ${PARTITIONS} partitions)`,
        unit: 'detections/s',
        samples: pipeline,
        baseline: { label: `min(kafkajs consume, raw ${variant === 'sqlite' ? 'better-sqlite3' : 'node-postgres'} append of ${BATCH})`, samples: slower },
        higherIsBetter: true,
        target: 0.7,
      },
      ...PERCENTILES.map((p) => ({
        name: `${store}: latency p${p}, produce → watch stream, at ${offered.toLocaleString('en-US')}/s offered (half the sustained)`,
        unit: 'ms',
        samples: latency.pipeline[p],
        baseline: { label: 'produce → plain kafkajs consumer, same messages', samples: latency.kafka[p] },
        higherIsBetter: false,
      })),
    ];
    return figures;
  } finally {
    watch?.close();
    await query?.stop();
    await producer.disconnect();
    if (rig.topics.length > 0) await admin.deleteTopics({ topics: rig.topics }).catch(() => undefined);
    await admin.disconnect();
    if (schema !== undefined) await dropSchema(schema);
  }
}

/**
 * Detections per second from the Kafka topic to the query API showing them (a spawned
 * registrar and query service on one store), with end-to-end latency at half that rate;
 * on SQLite, and on PostgreSQL when it is reachable.
 */
export async function pipelineBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const figures = await variantFigures(ctx, 'sqlite');
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) ctx.log(`pipeline: PostgreSQL variant skipped, ${postgresUrl()} is unreachable (${unavailable})`);
  else figures.push(...(await variantFigures(ctx, 'postgres')));
  return figures;
}
