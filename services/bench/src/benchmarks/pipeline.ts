import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { EventData } from '@ifreg/ports';
import { perSecond, repeat, summarize, type Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { formatCpu, threadCpuDelta, threadCpuOf } from '../support/cpu-time';
import { processMeter } from '../support/pipeline-rig';
import { RawConsumer, benchKafka, connectedProducer, createTopics, produce, sustainedRate } from '../support/kafka-load';
import {
  BATCH, MAX_IDS, PARTITIONS, SCOPES, STORE_LABEL, batches, detections, freshTopics, idIn, rawAppender, registeredEvents, startRegistrar, type Rig, type Variant,
} from '../support/pipeline-rig';
import { dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';
import { getJson, startQueryService } from '../support/query-service';
import { waitFor } from '@ifreg/testing';
import { WatchStream } from '../support/watch-stream';
import { LATENCY_RATE, latencyRun, type HopPercentiles, type LatencyBreakdown } from './pipeline-latency';

/** Detections per throughput repetition, over SCOPES scopes (keys), preloaded on the topic. */
const DETECTIONS = 30_000;
/** The issue's target: p99 of detect → outcome and detect → queryable at most 3× the floor. */
const FLOOR_TARGET = 1 / 3;

async function waitSeen(rig: Rig, target: number, timeoutMs: number, what: string): Promise<void> {
  await waitFor(() => rig.seen >= target || rig.failed > 0, timeoutMs, () => `${what}: ${rig.seen} of ${target} registrations shown`, 10);
  if (rig.failed > 0) throw new Error(`${rig.failed} detections failed in the pipeline (RegistrationFailed); expected none`);
}

export interface ThroughputSamples {
  readonly pipeline: number[];
  readonly kafka: number[];
  readonly store: number[];
  /** The registrar's CPU time (all threads) per detection, µs. */
  readonly registrarCpu: number[];
  /** The raw append's time per event, µs. */
  readonly appendTime: number[];
}

/** One throughput repetition: preload the topic, start a registrar, rate of registrations shown by the query service. */
export async function throughputRun(rig: Rig, samples: ThroughputSamples, log: (line: string) => void): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const topics = freshTopics(run);
  rig.topics.push(topics.agentMessages, topics.outcomes, topics.deadLetters);
  await createTopics(rig.admin, [topics.agentMessages, topics.outcomes, topics.deadLetters], PARTITIONS);
  const { ids, messages } = detections(rig, DETECTIONS, run);
  await produce(rig.producer, topics.agentMessages, messages);

  const target = rig.seen + ids.length;
  const { registrar } = await startRegistrar(rig, topics);
  try {
    const meter = processMeter(rig, registrar.pid);
    const threads = threadCpuOf(registrar.pid);
    // The second half alone, warmed up: the first pays the JIT's compiles (V8 workers), ~0.3 s a start.
    const half = Math.floor(ids.length / 2);
    await waitSeen(rig, target - half, 120_000, 'the first half of the preloaded detections');
    const halfway = threadCpuOf(registrar.pid);
    await waitSeen(rig, target, 120_000, 'the preloaded detections');
    const cpu = meter.used();
    const end = threadCpuOf(registrar.pid);
    const byThread = threadCpuDelta(threads, end);
    const secondHalf = threadCpuDelta(halfway, end);
    samples.registrarCpu.push(((cpu['registrar'] ?? 0) / ids.length) * 1e6);
    const perDetection = (seconds: number): string => `${((seconds / half) * 1e6).toFixed(1)} µs`;
    log(`pipeline (${STORE_LABEL[rig.variant]}): ${ids.length.toLocaleString('en-US')} preloaded detections, CPU time: ${formatCpu(cpu)}; the registrar's threads: ${formatCpu(byThread)}`);
    log(`pipeline (${STORE_LABEL[rig.variant]}): the registrar's CPU per detection over the second half (as the watch stream shows them): ${perDetection(Object.values(secondHalf).reduce((a, b) => a + b, 0))}; ${Object.entries(secondHalf).filter(([, s]) => s > 0).map(([name, s]) => `${name} ${perDetection(s)}`).join(', ')}`);
  } finally {
    await registrar.stop();
  }
  samples.pipeline.push(sustainedRate(ids.map((id) => rig.seenAt[id] ?? 0)));

  // Baseline 1: a plain kafkajs consumer group reading the same messages from the same broker.
  const raw = new RawConsumer(rig.kafka, `ifreg-bench-raw-${run}`);
  await raw.start(topics.agentMessages);
  await raw.received(ids.length);
  await raw.stop();
  samples.kafka.push(sustainedRate(raw.arrivals));

  // Baseline 2: the store's raw batch append of the events the registrar recorded for them.
  const appendRate = await rawAppendRate(rig, registeredEvents(messages));
  samples.store.push(appendRate);
  samples.appendTime.push(1e6 / appendRate);
}

async function rawAppendRate(rig: Rig, byScope: Map<string, EventData[]>): Promise<number> {
  const total = [...byScope.values()].reduce((n, events) => n + events.length, 0);
  const appender = await rawAppender(rig);
  try {
    const started = process.hrtime.bigint();
    for (const batch of batches(byScope)) await appender.append(batch.stream, batch.events, batch.revision);
    return perSecond(total, started);
  } finally {
    await appender.close();
  }
}

const ms = (xs: readonly number[]): string => {
  const m = summarize(xs).median;
  return m >= 100 ? Math.round(m).toLocaleString('en-US') : m.toFixed(1);
};

/** The breakdown as a Markdown table in the log: medians over the slices of each hop's p50 and p99. */
function logBreakdown(store: string, breakdown: LatencyBreakdown, log: (line: string) => void): void {
  log(`pipeline (${store}): latency breakdown at ${breakdown.rate.toLocaleString('en-US')} detections/s offered, ms (median of the slices' percentiles)`);
  log('| hop | p50 | p99 |');
  log('|---|---|---|');
  for (const { label, hop } of breakdown.rows) log(`| ${label} | ${ms(hop[50])} | ${ms(hop[99])} |`);
}

const latencyFigures = (store: string, rate: string, what: string, ours: HopPercentiles, floor: HopPercentiles, floorLabel: string): Figure[] =>
  ([50, 99] as const).map((p) => ({
    name: `${store}: latency p${p}, ${what}, at ${rate}/s offered`,
    unit: 'ms',
    samples: ours[p],
    baseline: { label: floorLabel, samples: floor[p] },
    higherIsBetter: false,
    ...(p === 99 ? { target: FLOOR_TARGET } : {}),
  }));

/** A rig for one store kind: a query service and its watch stream for all its runs (a fresh registrar and topics per run); `close` undoes it. */
export async function openRig(ctx: BenchContext, variant: Variant): Promise<{ rig: Rig; close: () => Promise<void> }> {
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
  const rig: Rig = { variant, kafka, admin, producer, brokers, storeEnv, seenAt: new Float64Array(MAX_IDS), seen: 0, failed: 0, nextId: 1, topics: [], dir, cpuProfDir: ctx.cpuProfDir, registrarEnv: { ...ctx.registrarEnv } };
  if (ctx.registrarEnv !== undefined) ctx.log(`pipeline: the registrars get ${JSON.stringify(ctx.registrarEnv)}`);
  let watch: WatchStream | undefined;
  const close = async (): Promise<void> => {
    watch?.close();
    await rig.query?.stop();
    await producer.disconnect();
    if (rig.topics.length > 0) await admin.deleteTopics({ topics: rig.topics }).catch(() => undefined);
    await admin.disconnect();
    if (schema !== undefined) await dropSchema(schema);
  };
  try {
    const started = await startQueryService(storeEnv, ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir });
    rig.query = started.service;
    const { position } = await getJson<{ position: number }>(`${started.url}/v1/scopes`);
    watch = new WatchStream(`${started.url}/v1/watch?from=${position}`, (kind, data, at) => {
      if (kind === 'failed') rig.failed++;
      if (kind !== 'registered') return;
      const id = idIn(data);
      if (id === undefined) return;
      rig.seenAt[id] = at;
      rig.seen++;
    });
    await watch.opened;
    return { rig, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export const emptySamples = (): ThroughputSamples => ({ pipeline: [], kafka: [], store: [], registrarCpu: [], appendTime: [] });

/** One store kind: throughput runs, then the latency breakdown. */
async function variantFigures(ctx: BenchContext, variant: Variant): Promise<Figure[]> {
  const { rig, close } = await openRig(ctx, variant);
  try {
    const plan = capped(ctx, 3);
    const samples = emptySamples();
    await repeat(async () => {
      await throughputRun(rig, samples, ctx.log);
      return 0;
    }, plan);
    const measured = (xs: number[]): number[] => xs.slice(plan.warmup);
    const pipeline = measured(samples.pipeline);
    const kafkaRates = measured(samples.kafka);
    const storeRates = measured(samples.store);
    const slower = pipeline.map((_, i) => Math.min(kafkaRates[i] ?? 0, storeRates[i] ?? 0));
    const median = (xs: number[]): string => Math.round(summarize(xs).median).toLocaleString('en-US');
    const store = STORE_LABEL[variant];
    ctx.log(`pipeline (${store}): baselines kafkajs consume ${median(kafkaRates)}/s, raw store append ${median(storeRates)}/s (batches of ${BATCH}); half the sustained would be ${median(pipeline.map((r) => r / 2))}/s, the latency phase offers ${LATENCY_RATE.toLocaleString('en-US')}/s`);

    const breakdown = await latencyRun(rig, ctx.log);
    logBreakdown(store, breakdown, ctx.log);
    const rate = breakdown.rate.toLocaleString('en-US');
    return [
      {
        name: `${store}: detections Kafka → query API, sustained (${DETECTIONS.toLocaleString('en-US')} preloaded, ${SCOPES} scopes, ${PARTITIONS} partitions)`,
        unit: 'detections/s',
        samples: pipeline,
        baseline: { label: `min(kafkajs consume, raw ${variant === 'sqlite' ? 'better-sqlite3' : 'node-postgres'} append of ${BATCH})`, samples: slower },
        higherIsBetter: true,
        target: 0.5,
      },
      {
        name: `${store}: the registrar's CPU time (all threads) per detection, preloaded`,
        unit: 'µs',
        samples: measured(samples.registrarCpu),
        baseline: { label: `raw batch append's time per event`, samples: measured(samples.appendTime) },
        higherIsBetter: false,
      },
      ...latencyFigures(store, rate, 'detect → outcome', breakdown.detectToOutcome, breakdown.outcomeFloor, 'floor: 2 plain kafkajs hops + 1 raw commit of a batch'),
      ...latencyFigures(store, rate, 'detect → queryable (watch stream)', breakdown.detectToQueryable, breakdown.queryableFloor, 'floor: 1 plain kafkajs hop + 1 raw commit + 1 bare SSE write'),
    ];
  } finally {
    await close();
  }
}

/**
 * Detections per second from the Kafka topic to the query API showing them (a spawned
 * registrar and query service on one store), the registrar's CPU per detection, and the
 * latency of each hop at a fixed offered rate against a floor measured in the same run;
 * on SQLite, and on PostgreSQL when it is reachable.
 */
export async function pipelineBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const on = (variant: Variant): boolean => ctx.stores === undefined || ctx.stores.includes(variant);
  const figures = on('sqlite') ? await variantFigures(ctx, 'sqlite') : [];
  if (!on('postgres')) return figures;
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) ctx.log(`pipeline: PostgreSQL variant skipped, ${postgresUrl()} is unreachable (${unavailable})`);
  else figures.push(...(await variantFigures(ctx, 'postgres')));
  return figures;
}
