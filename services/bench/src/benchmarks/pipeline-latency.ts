import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { formatCpu, threadCpuDelta, threadCpuOf } from '../support/cpu-time';
import { RawConsumer, createTopics, produce } from '../support/kafka-load';
import { bareWatchServerMain } from '../support/paths';
import { BATCH, MAX_IDS, PARTITIONS, batches, detections, freshTopics, idIn, processMeter, rawAppender, registeredEvents, startRegistrar, type Rig } from '../support/pipeline-rig';
import { postgresUrl } from '../support/postgres';
import { percentilePerSlice } from '../support/stats';
import { ServiceProcess, sleep, waitFor } from '@ifreg/testing';
import { WatchStream } from '../support/watch-stream';

/**
 * The latency phase's offered load, fixed so that a change is measured before and after at
 * the same rate: about half what the pipeline sustained on SQLite on the project's 2-core
 * machine when it was chosen (see the bench README).
 */
export const LATENCY_RATE = 1_900;
/** Seconds of offered load, cut into slices for a median and a spread. */
const LATENCY_SECONDS = 8;
const LATENCY_SLICES = 5;
/** The floor's store commit: one batch of what arrives in this many ms, one commit per window. */
const COMMIT_WINDOW_MS = 10;

/** p50 and p99 of one hop, one value per slice of the run (ms). */
export interface HopPercentiles {
  readonly 50: number[];
  readonly 99: number[];
}

export interface LatencyBreakdown {
  readonly rate: number;
  /** Every hop and floor part, in table order. */
  readonly rows: readonly { readonly label: string; readonly hop: HopPercentiles }[];
  readonly detectToOutcome: HopPercentiles;
  readonly detectToQueryable: HopPercentiles;
  /** Two kafkajs hops + one commit of a batch. */
  readonly outcomeFloor: HopPercentiles;
  /** One kafkajs hop + one commit + one SSE write. */
  readonly queryableFloor: HopPercentiles;
}

const hop = (values: readonly number[]): HopPercentiles => ({ 50: percentilePerSlice(values, LATENCY_SLICES, 50), 99: percentilePerSlice(values, LATENCY_SLICES, 99) });

/** Slice by slice, the sum of the parts' percentiles: the floor's p99 is the sum of its parts' p99s. */
const sum = (...parts: HopPercentiles[]): HopPercentiles => {
  const add = (p: 50 | 99): number[] => (parts[0]?.[p] ?? []).map((_, i) => parts.reduce((total, part) => total + (part[p][i] ?? Number.NaN), 0));
  return { 50: add(50), 99: add(99) };
};

/** Calls `send(from, to)` with what is due at `rate` per second, every few ms, so the offered rate holds even when a send is slow. */
async function paced(count: number, rate: number, send: (from: number, to: number) => Promise<void> | void): Promise<void> {
  const started = performance.now();
  for (let sent = 0; sent < count; await sleep(5)) {
    const due = Math.min(count, Math.floor((rate * (performance.now() - started)) / 1000));
    if (due <= sent) continue;
    await send(sent, due);
    sent = due;
  }
}

const epochOf = (perfNow: number): number => performance.timeOrigin + perfNow;

/** When the store stamped each registration of `ids` (recorded_at, epoch ms): where its append began. */
async function recordedTimes(rig: Rig, ids: readonly number[]): Promise<Float64Array> {
  const out = new Float64Array(MAX_IDS);
  const first = ids[0] ?? 0;
  const last = ids.at(-1) ?? 0;
  const note = (id: number | undefined, at: number): void => {
    if (id !== undefined && id >= first && id <= last) out[id] = at;
  };
  const path = rig.storeEnv['IFREG_SQLITE_PATH'];
  if (path !== undefined) {
    const db = new Database(path, { readonly: true });
    try {
      for (const row of db.prepare("SELECT data, recorded_at FROM events WHERE type = 'InterfaceRegistered'").iterate() as Iterable<{ data: string; recorded_at: string }>) {
        note(idIn(row.data), Date.parse(row.recorded_at));
      }
    } finally {
      db.close();
    }
    return out;
  }
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number; at: number }>(
      `SELECT (data->'luid'->>'netLuidIndex')::int AS id, (extract(epoch FROM recorded_at) * 1000)::float8 AS at FROM "${rig.storeEnv['IFREG_POSTGRES_SCHEMA'] ?? ''}".events WHERE type = 'InterfaceRegistered'`,
    );
    for (const row of rows) note(row.id, row.at);
  } finally {
    await client.end();
  }
  return out;
}

/** The store's raw commit of one batch (what arrives in COMMIT_WINDOW_MS at `rate`), one per window: each commit's ms, in order. */
async function commitFloor(rig: Rig, rate: number, messages: readonly { key: string; value: string }[]): Promise<number[]> {
  const size = Math.max(1, Math.round((rate * COMMIT_WINDOW_MS) / 1000));
  const all = [...batches(registeredEvents(messages), size)];
  const appender = await rawAppender(rig);
  const durations: number[] = [];
  try {
    const started = performance.now();
    for (const [i, batch] of all.entries()) {
      const wait = started + i * COMMIT_WINDOW_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const t0 = performance.now();
      await appender.append(batch.stream, batch.events, batch.revision);
      durations.push(performance.now() - t0);
    }
  } finally {
    await appender.close();
  }
  return durations;
}

/**
 * The SSE write of one event at `rate`: a bare node:http server (its own process, no store,
 * no projection) writes stamped frames at that rate; each one's arrival minus its stamp.
 */
async function sseFloor(rate: number): Promise<number[]> {
  const server = new ServiceProcess('bare-watch', bareWatchServerMain, { env: {} });
  try {
    const url = String((await server.waitForLog('bare watch server listening', 30_000))['url']);
    const count = Math.ceil(rate * LATENCY_SECONDS);
    const delays = new Float64Array(count).fill(Number.NaN);
    let arrived = 0;
    const stream = new WatchStream(`${url}/v1/ticks?rate=${rate}&count=${count}`, (_kind, data, at) => {
      const tick = JSON.parse(data) as { seq: number; at: number };
      delays[tick.seq] = epochOf(at) - tick.at;
      arrived++;
    });
    try {
      await stream.opened;
      await waitFor(() => arrived >= count, 60_000, () => `the bare server’s frames (${arrived} of ${count})`, 20);
    } finally {
      stream.close();
    }
    return [...delays];
  } finally {
    await server.stop();
  }
}

/**
 * Offered load of LATENCY_RATE detections/s for LATENCY_SECONDS to an idle, running registrar,
 * each detection followed through its hops by the clocks the run leaves behind: the send
 * (performance.now()), the store's recorded_at (stamped as its append begins), the outcome
 * record's timestamp (set by the registrar's producer) and its arrival at a plain consumer
 * (the agent's side), the registration's frame on the query service's watch stream. Then the
 * floor's parts at the same rate: a plain kafkajs consumer of the same messages (during the
 * run), the raw commit of a batch and the SSE write of one event (each after it, alone).
 */
export async function latencyRun(rig: Rig, log: (line: string) => void, rate = LATENCY_RATE): Promise<LatencyBreakdown> {
  const run = randomUUID().slice(0, 8);
  const topics = freshTopics(run);
  rig.topics.push(topics.agentMessages, topics.outcomes, topics.deadLetters);
  await createTopics(rig.admin, [topics.agentMessages, topics.outcomes, topics.deadLetters], PARTITIONS);
  const sentAt = new Float64Array(MAX_IDS);
  const rawAt = new Float64Array(MAX_IDS);
  const outcomeStamp = new Float64Array(MAX_IDS);
  const outcomeAt = new Float64Array(MAX_IDS);
  const raw = new RawConsumer(rig.kafka, `ifreg-bench-raw-${run}`, (value, at) => {
    const id = idIn(value?.toString('utf8') ?? '');
    if (id !== undefined) rawAt[id] = epochOf(at);
  });
  const outcomes = new RawConsumer(rig.kafka, `ifreg-bench-outcomes-${run}`, (value, at, timestamp) => {
    const id = idIn(value?.toString('utf8') ?? '');
    if (id === undefined) return;
    outcomeAt[id] = epochOf(at);
    outcomeStamp[id] = timestamp;
  });
  await raw.start(topics.agentMessages);
  await outcomes.start(topics.outcomes);
  const { registrar, url } = await startRegistrar(rig, topics);
  const { ids, messages } = detections(rig, Math.ceil(rate * LATENCY_SECONDS), run);
  let cpu: Record<string, number>;
  let byThread: Record<string, number>;
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`)).ok, 30_000, () => 'the registrar to join its group', 50);
    const meter = processMeter(rig, registrar.pid);
    const threads = threadCpuOf(registrar.pid);
    await paced(ids.length, rate, async (from, to) => {
      const now = epochOf(performance.now());
      for (let i = from; i < to; i++) sentAt[ids[i] ?? 0] = now;
      await produce(rig.producer, topics.agentMessages, messages.slice(from, to));
    });
    const done = (): boolean => ids.every((id) => (rig.seenAt[id] ?? 0) > 0 && (outcomeAt[id] ?? 0) > 0);
    await waitFor(() => done() || rig.failed > 0, 60_000, () => 'the offered detections on the watch stream and their outcomes', 20);
    if (rig.failed > 0) throw new Error(`${rig.failed} detections failed in the pipeline (RegistrationFailed); expected none`);
    await raw.received(ids.length);
    cpu = meter.used();
    byThread = threadCpuDelta(threads, threadCpuOf(registrar.pid));
  } finally {
    await registrar.stop();
    await raw.stop();
    await outcomes.stop();
  }
  log(
    `pipeline latency at ${rate.toLocaleString('en-US')}/s for ${LATENCY_SECONDS} s, CPU time: ${formatCpu(cpu)}; ` +
      `registrar ${(((cpu['registrar'] ?? 0) / ids.length) * 1e6).toFixed(0)} µs per detection; its threads: ${formatCpu(byThread)}`,
  );
  const recorded = await recordedTimes(rig, ids);
  const per = (f: (id: number) => number): number[] => ids.map(f);
  const at = (xs: Float64Array, id: number): number => xs[id] ?? Number.NaN;
  const watchAt = (id: number): number => epochOf(at(rig.seenAt, id));
  const kafka = hop(per((id) => at(rawAt, id) - at(sentAt, id)));
  const commit = hop(await commitFloor(rig, rate, messages));
  const sse = hop(await sseFloor(rate));
  const detectToOutcome = hop(per((id) => at(outcomeAt, id) - at(sentAt, id)));
  const detectToQueryable = hop(per((id) => watchAt(id) - at(sentAt, id)));
  const outcomeFloor = sum(kafka, kafka, commit);
  const queryableFloor = sum(kafka, commit, sse);
  const size = Math.max(1, Math.round((rate * COMMIT_WINDOW_MS) / 1000));
  const rows = [
    { label: 'produce → store append begins (Kafka hop, fetch, decode, decide; recorded_at)', hop: hop(per((id) => at(recorded, id) - at(sentAt, id))) },
    { label: 'append begins → outcome record stamped (append, commit, offsets, outcome to the producer)', hop: hop(per((id) => at(outcomeStamp, id) - at(recorded, id))) },
    { label: 'outcome record → agent (plain kafkajs consumer of the outcomes)', hop: hop(per((id) => at(outcomeAt, id) - at(outcomeStamp, id))) },
    { label: 'append begins → watch stream (commit, query service reads, folds, SSE)', hop: hop(per((id) => watchAt(id) - at(recorded, id))) },
    { label: 'detect → outcome (what an agent waits for)', hop: detectToOutcome },
    { label: 'detect → queryable (watch stream)', hop: detectToQueryable },
    { label: 'floor part: produce → plain kafkajs consumer, same messages', hop: kafka },
    { label: `floor part: raw commit of a batch of ${size} (one per ${COMMIT_WINDOW_MS} ms; BATCH ${BATCH})`, hop: commit },
    { label: 'floor part: SSE write of one event (a bare node:http server’s stamped frame → arrival)', hop: sse },
    { label: 'floor, detect → outcome: 2 kafkajs hops + 1 commit', hop: outcomeFloor },
    { label: 'floor, detect → queryable: 1 kafkajs hop + 1 commit + 1 SSE write', hop: queryableFloor },
  ];
  return { rate, rows, detectToOutcome, detectToQueryable, outcomeFloor, queryableFloor };
}
