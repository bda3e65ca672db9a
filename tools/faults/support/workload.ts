import type { Admin, Kafka } from 'kafkajs';
import { KafkaAgentProducer, ensureTopics } from '@ifreg/messaging';
import type { SentInput } from '../invariants';
import { type Cleanup, sleep } from '@ifreg/testing';
import type { Random } from '@ifreg/platform';
import type { Deployment } from './service';

/** One message of a workload: what is produced (key = scope) and what the checker gets. */
export interface WorkloadMessage extends SentInput {
  readonly key: string;
  readonly value: string;
  readonly kind: 'detect' | 'reannounce' | 'remove' | 'boot' | 'invalid' | 'unreadable';
}

export interface WorkloadOptions {
  readonly scopes: number;
  readonly count: number;
  /** Scope names are `<prefix>-<n>`. */
  readonly prefix: string;
  /** Fractions of steps (the rest are first detections). */
  readonly remove?: number;
  readonly reannounce?: number;
  readonly boot?: number;
  readonly invalid?: number;
  readonly unreadable?: number;
}

/**
 * A seeded stream of agent messages over several scopes, in the order agents send them:
 * mostly first detections (distinct LUIDs), with removals of live interfaces (freeing
 * ifIndexes, so allocation wraps and skips), identical re-announcements, BootEpochs (the
 * scope empties, indexes start again at 1), detections the registrar refuses
 * (INVALID_PARAMETER: a NetLuidIndex over 24 bits) and unreadable bytes (dead letters).
 * The same seed gives the same messages, ids included.
 */
export function workload(random: Random, options: WorkloadOptions): WorkloadMessage[] {
  const runId = `${options.prefix}-${random.seed.toString(36)}`;
  const scopes = Array.from({ length: options.scopes }, (_, n) => ({ name: `${options.prefix}-${n}`, next: 1, live: [] as number[], boots: 0 }));
  const cut = (name: keyof WorkloadOptions): number => Number(options[name] ?? 0);
  const messages: WorkloadMessage[] = [];
  const info = (index: number) => ({ friendlyName: `eth${index}`, physAddress: `02:00:00:${hex(index >> 16)}:${hex(index >> 8)}:${hex(index)}`, mediaType: 0, physicalMediumType: 14 });
  const detection = (scope: string, index: number, messageId: string) => ({
    type: 'InterfaceDetected',
    schemaVersion: 1,
    messageId,
    scope,
    providerId: 'faults-agent',
    luid: { ifType: 6, netLuidIndex: index },
    providerIfContext: `ctx-${index}`,
    info: info(index),
    detectedAt: '2026-11-24T12:00:00.000Z',
  });
  const push = (kind: WorkloadMessage['kind'], scope: string, body: unknown, messageId?: string): void => {
    messages.push({ kind, key: scope, value: typeof body === 'string' ? body : JSON.stringify(body), ...(messageId === undefined ? {} : { messageId }) });
  };
  for (let n = 0; n < options.count; n++) {
    const scope = random.pick(scopes);
    const messageId = `${runId}-${n}`;
    let roll = random.next();
    const take = (fraction: number): boolean => {
      roll -= fraction;
      return roll < 0;
    };
    if (take(cut('remove')) && scope.live.length > 0) {
      const at = random.int(0, scope.live.length - 1);
      const index = scope.live[at] ?? 0;
      scope.live.splice(at, 1);
      push('remove', scope.name, { type: 'InterfaceRemoved', schemaVersion: 1, messageId, scope: scope.name, providerId: 'faults-agent', luid: { ifType: 6, netLuidIndex: index } }, messageId);
    } else if (take(cut('reannounce')) && scope.live.length > 0) {
      push('reannounce', scope.name, detection(scope.name, random.pick(scope.live), messageId), messageId);
    } else if (take(cut('boot'))) {
      scope.live.length = 0;
      scope.boots++;
      push('boot', scope.name, { type: 'BootEpoch', schemaVersion: 1, messageId, scope: scope.name, bootId: `${runId}-boot-${n}`, at: '2026-11-24T12:00:00.000Z' }, messageId);
    } else if (take(cut('invalid'))) {
      push('invalid', scope.name, { ...detection(scope.name, 1, messageId), luid: { ifType: 6, netLuidIndex: 2 ** 24 + n } }, messageId);
    } else if (take(cut('unreadable'))) {
      push('unreadable', scope.name, `{"scope": "${scope.name}", "messageId": "${messageId}", `);
    } else {
      const index = scope.next++;
      scope.live.push(index);
      push('detect', scope.name, detection(scope.name, index, messageId), messageId);
    }
  }
  return messages;
}

const hex = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** Creates the deployment's three topics up front, so load can be produced before a registrar runs. */
export async function createTopics(kafka: Kafka, d: Deployment): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [d.agentMessages, d.outcomes, d.deadLetters], d.partitions);
  } finally {
    await admin.disconnect();
  }
}

/** A producer of agent messages (KafkaAgentProducer: murmur2 on the key, CloudEvents headers, acks=all), disconnected after the scenario. */
export async function agentProducer(kafka: Kafka, d: Deployment, cleanup: Cleanup): Promise<KafkaAgentProducer> {
  const producer = cleanup.add(new KafkaAgentProducer(kafka, { topic: d.agentMessages, defaultSource: 'ifreg-faults' }), (p) => p.disconnect(), 'agent producer');
  await producer.connect();
  return producer;
}

/** How a paced send went. */
export interface LoadResult {
  /** Messages acknowledged by the broker (each once, however often it was retried). */
  sent: number;
  /** Sends that failed and were repeated (an agent retrying with the same message ids). */
  failedSends: number;
  readonly startedAt: number;
  endedAt: number;
}

/**
 * Produces `messages` in order, `chunk` per send every `intervalMs` (steady load, not a
 * burst), until all are sent or `signal` aborts. A failed send (the broker down) is repeated
 * with the same messages after `retryMs`, as an agent would: a send that failed after the
 * broker wrote it produces a copy, which the registrar must answer from its dedupe memory.
 * Stopped by `cleanup` if still running.
 */
export function produceSteadily(
  cleanup: Cleanup,
  producer: KafkaAgentProducer,
  messages: readonly WorkloadMessage[],
  options: {
    chunk: number;
    intervalMs: number;
    retryMs?: number;
    onSent?: (sent: number) => void;
    /** Sends no more than `sent` messages until `until` settles: a fault lands while messages still flow, however slow the machine. */
    holdAt?: { readonly sent: number; readonly until: Promise<unknown> };
  },
): { result: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { sent: 0, failedSends: 0, startedAt: Date.now(), endedAt: 0 };
  // A scenario that failed half-way stops its load before the producer is disconnected.
  const abort = cleanup.add(new AbortController(), (a) => a.abort(), 'load');
  const done = (async () => {
    let next = Date.now();
    while (result.sent < messages.length && !abort.signal.aborted) {
      const hold = options.holdAt;
      if (hold && result.sent >= hold.sent) {
        await hold.until;
        next = Date.now();
      }
      const limit = hold && result.sent < hold.sent ? hold.sent : messages.length;
      const batch = messages.slice(result.sent, Math.min(result.sent + options.chunk, limit)).map(({ key, value }) => ({ key, value }));
      try {
        await producer.send(batch);
        result.sent += batch.length;
        options.onSent?.(result.sent);
      } catch {
        result.failedSends++;
        await sleep(options.retryMs ?? 250);
        continue;
      }
      next += options.intervalMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
    result.endedAt = Date.now();
    return result;
  })();
  return { result, done };
}

/**
 * Messages of a consumer group not yet handled: the sum over the topic's partitions of the
 * end offset minus the group's committed offset (a partition it never committed counts from
 * its start). 0 means the registrar decided, recorded and answered everything produced so far
 * (it commits after publishing the outcomes).
 */
export async function groupLag(admin: Admin, group: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  let lag = 0n;
  for (const { partition, high, low } of ends) {
    const at = done.get(partition) ?? -1n;
    lag += BigInt(high) - (at < 0n ? BigInt(low) : at);
  }
  return Number(lag);
}

/**
 * Waits until the group's lag on `topic` is 0 (everything handled); answers when it was
 * reached. Fails after `timeoutMs`, or at once when `giveUp()` holds (say, the registrar exited).
 */
export async function waitDrained(kafka: Kafka, d: Deployment, timeoutMs: number, describe: () => string = () => '', giveUp: () => boolean = () => false): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let lag = Number.NaN;
    for (;;) {
      try {
        lag = await groupLag(admin, d.group, d.agentMessages);
        if (lag === 0) return Date.now();
      } catch {
        // the broker may be coming back: try again
      }
      if (Date.now() > deadline || giveUp()) throw new Error(`group ${d.group} still had ${lag} messages to handle after ${timeoutMs} ms ${describe()}`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}
