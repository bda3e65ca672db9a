import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { EventData } from '@ifreg/ports';
import { CpuMeter, cpuSecondsOf, localBrokerPid, ownCpuSeconds } from './cpu-time';
import { serviceMain } from './paths';
import { postgresRawAppender, sqliteRawAppender, type RawAppender } from './raw-appender';
import { ScopeRecorder, detectionJson } from './registry-events';
import { ServiceProcess } from '@ifreg/testing';

/** Scopes (keys) the detections are spread over. */
export const SCOPES = 16;
/** The registrar's defaults: IFREG_KAFKA_PARTITIONS and IFREG_BATCH_SIZE. */
export const PARTITIONS = 6;
export const BATCH = 500;
/** netLuidIndex is unique per detection within a variant: it maps an SSE event or an outcome back to its message. */
export const MAX_IDS = 1 << 20;

export type Variant = 'sqlite' | 'postgres';

export const STORE_LABEL: Record<Variant, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

export interface Topics {
  readonly agentMessages: string;
  readonly outcomes: string;
  readonly deadLetters: string;
}

/** Everything one variant (one store kind) shares between its repetitions. */
export interface Rig {
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
  /** The query service whose watch stream the rig reads (for its CPU time). */
  query?: ServiceProcess;
  /** Extra variables for the registrar (e.g. tracing). */
  registrarEnv?: Record<string, string>;
}

export const freshTopics = (run: string): Topics => ({
  agentMessages: `ifreg-bench-agent-messages-${run}`,
  outcomes: `ifreg-bench-outcomes-${run}`,
  deadLetters: `ifreg-bench-dead-letters-${run}`,
});

export async function startRegistrar(rig: Rig, topics: Topics): Promise<{ registrar: ServiceProcess; url: string }> {
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
      ...rig.registrarEnv,
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
export function detections(rig: Rig, count: number, run: string): { ids: number[]; messages: { key: string; value: string }[] } {
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

/** What the registrar appends for these detections: InterfaceRegistered events, by scope. */
export function registeredEvents(messages: readonly { key: string; value: string }[]): Map<string, EventData[]> {
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

/** Batches of `size` events per stream, streams in turn, as the registrar's appends come. */
export function* batches(byScope: Map<string, EventData[]>, size = BATCH): Generator<{ stream: string; events: EventData[]; revision: number }> {
  let offset = 0;
  for (let more = true; more; offset += size) {
    more = false;
    for (const [scope, events] of byScope) {
      if (offset >= events.length) continue;
      more = true;
      yield { stream: `registry-${scope}`, events: events.slice(offset, offset + size), revision: offset - 1 };
    }
  }
}

export const rawAppender = (rig: Rig): Promise<RawAppender> => (rig.variant === 'sqlite' ? Promise.resolve(sqliteRawAppender(rig.dir)) : postgresRawAppender());

/** The netLuidIndex a message, outcome or frame names. */
export function idIn(text: string): number | undefined {
  const id = /"netLuidIndex":(\d+)/.exec(text)?.[1];
  return id === undefined ? undefined : Number(id);
}

/** CPU seconds of every process of a run: the registrar, the rig's query service, the local broker, the bench itself. */
export function processMeter(rig: Rig, registrarPid: number): CpuMeter {
  const brokerPid = localBrokerPid();
  return new CpuMeter({
    registrar: () => cpuSecondsOf(registrarPid),
    query: () => cpuSecondsOf(rig.query?.pid ?? -1),
    broker: () => (brokerPid === undefined ? Number.NaN : cpuSecondsOf(brokerPid)),
    load: ownCpuSeconds,
  });
}
