import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Kafka } from 'kafkajs';
import { decodeAgentMessage, eventProblem } from '@ifreg/contracts';
import { MAX_IF_INDEX, luidHex, type InterfaceRegistered, type RegistryEvent } from '@ifreg/domain';
import type { EventStore, RecordedEvent } from '@ifreg/ports';
import { comparableInterface, expectedInterfaces, expectedScopes, foldOracle } from './read-model-oracle';

/*
 * The fault suite's invariant checker (issue 9). After a scenario, it reads the event store
 * and the outcomes and dead-letter topics from the beginning, and answers every breach of:
 *
 *  (a) one outcome per accepted message: every (scope, causationId) has exactly one recorded
 *      event in the store (a message's effect is recorded once: InterfaceRegistered,
 *      InterfaceRedetected, RegistrationFailed, InterfaceDeregistered, BootEpochStarted …),
 *      and that outcome is on the outcomes topic at least once (at-least-once: copies are
 *      allowed) with the same content as recorded: the event itself, or for an
 *      InterfaceRedetected the registration it repeats with the message's causationId
 *      (what the registrar answers, libs/domain decide/evolve). The outcome's `position` must
 *      be at or after the event's. An outcome whose message nothing in the store records is
 *      a breach too.
 *  (b) never two live interfaces with one ifIndex in a scope, over the whole history: each
 *      scope's stream is replayed in order, BootEpochStarted empties it (and must count up
 *      by one), InterfaceDeregistered frees (it must name a live ifIndex and its LUID),
 *      InterfaceRedetected must name a live registration; a LUID live twice, or a
 *      registration recorded for an epoch other than the scope's current one, is reported
 *      here too.
 *  (c) every ifIndex in the store and on the outcomes topic is an integer in 1..maxIfIndex,
 *      and RESOURCES is answered only when all maxIfIndex indexes are live.
 *  (d) (only with `queryUrl`) the query service's read model equals the store: an oracle
 *      (read-model-oracle.ts) folds the events itself, sharing no code with the read model,
 *      skipping the events the contracts refuse: `GET /v1/scopes` and, per scope,
 *      `GET /v1/scopes/{scope}/interfaces` and `/failures`, read with `minPosition` = the head.
 *  (e) nothing silently dropped: every sent input is in the store (an event caused by its
 *      message id: decodeAgentMessage gives the id, or the derived `sha256:` id of a message
 *      without a usable one) or is a dead-letter record (matched by key and the original's
 *      bytes, or the sha256 of them when the record carries one); each dead letter has a
 *      reason. Dead letters are counted once per `ce_id` (stable across redeliveries).
 *
 * Use it after the scenario is quiet (all outcomes published); the checker does not wait.
 *
 *   const violations = await checkInvariants({ store, kafka, outcomesTopic, deadLettersTopic, inputs });
 *   expectNoViolations(violations);            // throws a readable summary
 *   const report = await checkInvariantsReport(input);   // same, with counts for a closing note
 *
 * Helpers: readTopic (a whole topic up to its end offsets), readStore (every event),
 * formatViolations, expectNoViolations, sentInput (a SentInput from a JSON body).
 */

/** One message a scenario produced to the agent-messages topic (key = scope by convention). */
export interface SentInput {
  readonly key: string | null;
  /** The bytes as produced; a null value (tombstone) is read by the registrar as empty. */
  readonly value: string | Buffer | null;
  /** Informational: the checker derives the id from the value as the registrar does. */
  readonly messageId?: string;
}

/** One record of a topic as the checker read it. */
export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface InvariantInput {
  /** The store the registrar wrote (read with readAll; not closed by the checker). */
  readonly store: EventStore;
  readonly kafka: Kafka;
  readonly outcomesTopic: string;
  readonly deadLettersTopic: string;
  /** Every message the scenario produced (order does not matter). */
  readonly inputs: readonly SentInput[];
  /** The registrar's IFREG_MAX_IF_INDEX (default 65535). */
  readonly maxIfIndex?: number;
  /** Base URL of a query service on the same store; enables (d). */
  readonly queryUrl?: string;
  /** Topic records already read (tests of the checker); when given, that topic is not read. */
  readonly outcomeRecords?: readonly TopicRecord[];
  readonly deadLetterRecords?: readonly TopicRecord[];
  /** Bound of reading each topic (default 60 s). */
  readonly topicTimeoutMs?: number;
}

export type InvariantLetter = 'a' | 'b' | 'c' | 'd' | 'e';

export interface Violation {
  readonly invariant: InvariantLetter;
  readonly detail: string;
}

export interface InvariantReport {
  readonly violations: Violation[];
  readonly counts: {
    readonly inputs: number;
    readonly events: number;
    /** Records on the outcomes topic, copies included. */
    readonly outcomeRecords: number;
    /** Distinct dead letters (by ce_id). */
    readonly deadLetters: number;
    readonly scopes: number;
    /** Inputs explained by an event / by a dead letter. */
    readonly inputsRecorded: number;
    readonly inputsDeadLettered: number;
    readonly ms: number;
  };
}

const DESCRIPTIONS: Record<InvariantLetter, string> = {
  a: 'exactly one recorded outcome per accepted message, published with the recorded content',
  b: 'no scope ever had two live interfaces with one ifIndex',
  c: 'every ifIndex is in 1..max',
  d: "the query service's read model equals an independent fold of the store",
  e: 'every input is an event or a dead-letter record',
};

/** Answers every breach of (a)–(e); an empty list when the run was clean. */
export async function checkInvariants(input: InvariantInput): Promise<Violation[]> {
  return (await checkInvariantsReport(input)).violations;
}

/** checkInvariants with the figures a closing note needs. */
export async function checkInvariantsReport(input: InvariantInput): Promise<InvariantReport> {
  const started = Date.now();
  const maxIfIndex = input.maxIfIndex ?? MAX_IF_INDEX;
  const timeoutMs = input.topicTimeoutMs ?? 60_000;
  const [events, outcomeRecords, deadLetterRecords] = await Promise.all([
    readStore(input.store),
    input.outcomeRecords ?? readTopic(input.kafka, input.outcomesTopic, { timeoutMs }),
    input.deadLetterRecords ?? readTopic(input.kafka, input.deadLettersTopic, { timeoutMs }),
  ]);
  const violations = new Violations();

  const recorded = new Map<string, RecordedEvent[]>(); // scope + causationId → events
  const expectedOutcomes = replayHistory(events, maxIfIndex, violations, recorded);
  checkOutcomes(outcomeRecords, recorded, expectedOutcomes, maxIfIndex, violations);
  const deadLetters = distinctDeadLetters(deadLetterRecords, violations);
  const explained = checkInputs(input.inputs, recorded, deadLetters, violations);
  if (input.queryUrl !== undefined) await checkReadModel(input.queryUrl, events, violations);

  const scopes = new Set(events.map((e) => e.stream));
  return {
    violations: violations.list,
    counts: {
      inputs: input.inputs.length,
      events: events.length,
      outcomeRecords: outcomeRecords.length,
      deadLetters: deadLetters.length,
      scopes: scopes.size,
      inputsRecorded: explained.recorded,
      inputsDeadLettered: explained.deadLettered,
      ms: Date.now() - started,
    },
  };
}

/** A readable summary: counts per invariant, then the first few details of each. */
export function formatViolations(violations: readonly Violation[], perInvariant = 5): string {
  if (violations.length === 0) return 'no invariant violated';
  const lines = [`${violations.length} invariant violation(s):`];
  for (const letter of ['a', 'b', 'c', 'd', 'e'] as const) {
    const mine = violations.filter((v) => v.invariant === letter);
    if (mine.length === 0) continue;
    lines.push(`(${letter}) ${DESCRIPTIONS[letter]}: ${mine.length}`);
    for (const v of mine.slice(0, perInvariant)) lines.push(`    - ${v.detail}`);
    if (mine.length > perInvariant) lines.push(`    … and ${mine.length - perInvariant} more`);
  }
  return lines.join('\n');
}

/** Throws an Error with formatViolations' summary unless there are none. */
export function expectNoViolations(result: readonly Violation[] | InvariantReport, context = ''): void {
  const violations = Array.isArray(result) ? (result as readonly Violation[]) : (result as InvariantReport).violations;
  if (violations.length > 0) throw new Error(`${context ? `${context}: ` : ''}${formatViolations(violations)}`);
}

/** A SentInput for a JSON body (key = its scope when it has one). */
export function sentInput(body: unknown, key?: string | null): SentInput {
  const scope = (body as { scope?: unknown } | null)?.scope;
  const messageId = (body as { messageId?: unknown } | null)?.messageId;
  return {
    key: key !== undefined ? key : typeof scope === 'string' ? scope : null,
    value: JSON.stringify(body),
    ...(typeof messageId === 'string' ? { messageId } : {}),
  };
}

/** Every event of the store, in global order. */
export async function readStore(store: EventStore, pageSize = 10_000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let page = await store.readAll(0, pageSize); page.length > 0; page = await store.readAll(page.at(-1)?.position ?? 0, pageSize)) {
    for (const event of page) all.push(event);
  }
  return all;
}

/**
 * Every record of a topic from the beginning up to its end offsets as they are when called,
 * read by a throw-away consumer group (deleted afterwards). Fails after `timeoutMs`.
 */
export async function readTopic(kafka: Kafka, topic: string, options: { timeoutMs?: number } = {}): Promise<TopicRecord[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `ifreg-faults-reader-${randomUUID()}`;
  try {
    const ends = new Map<number, bigint>();
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(high) > BigInt(low)) ends.set(partition, BigInt(high));
    }
    if (ends.size === 0) return [];
    const records: TopicRecord[] = [];
    const reached = new Set<number>();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 * 1024 * 1024, retry: { retries: 3 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition);
          for (const message of batch.messages) {
            if (end === undefined || BigInt(message.offset) >= end) continue;
            records.push({
              partition: batch.partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              value: message.value,
              headers: stringHeaders(message.headers),
            });
            if (BigInt(message.offset) === end - 1n) reached.add(batch.partition);
          }
          // An offset past the last message (e.g. after a compaction or transaction marker) also ends it.
          if (end !== undefined && BigInt(batch.highWatermark) >= end && BigInt(batch.lastOffset()) >= end - 1n) reached.add(batch.partition);
          if (reached.size === ends.size) done();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic}: ${reached.size} of ${ends.size} partitions read to their end within ${timeoutMs} ms (${records.length} records)`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([finished, timeout]);
      } finally {
        clearTimeout(timer);
      }
      return records;
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * Waits until consumer group `groupId` has committed every partition of `topic` up to the end
 * offsets the topic has when called: the registrar commits only after a batch's events are
 * appended and its outcomes and dead letters published, so then everything sent is done.
 */
export async function waitForGroupCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]));
    const deadline = Date.now() + timeoutMs;
    let behind: string[] = [];
    for (;;) {
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offsets = new Map((committed[0]?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
      behind = [...ends].filter(([partition, end]) => end > 0n && (offsets.get(partition) ?? -1n) < end).map(([partition, end]) => `${partition}: ${offsets.get(partition) ?? -1n}/${end}`);
      if (behind.length === 0) return;
      if (Date.now() > deadline) throw new Error(`group ${groupId} did not catch up with ${topic} within ${timeoutMs} ms (partition: committed/end ${behind.join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** What a dead-letter record says: its reason, and the original's key and sha256 (undefined when unreadable). */
export interface DeadLetterView {
  readonly reason: string;
  readonly key: string | null;
  readonly sha256: string;
}

export function parseDeadLetter(record: TopicRecord): DeadLetterView | undefined {
  try {
    const parsed = JSON.parse(record.value?.toString('utf8') ?? 'null') as { reason?: unknown; original?: { key?: unknown; value?: unknown; encoding?: unknown; sha256?: unknown } };
    const original = parsed.original;
    if (!original || typeof original !== 'object') return undefined;
    const digest =
      typeof original.sha256 === 'string'
        ? original.sha256
        : typeof original.value === 'string'
          ? sha256(Buffer.from(original.value, original.encoding === 'base64' ? 'base64' : 'utf8'))
          : undefined;
    if (digest === undefined) return undefined;
    return { reason: typeof parsed.reason === 'string' ? parsed.reason : '', key: typeof original.key === 'string' ? original.key : null, sha256: digest };
  } catch {
    return undefined;
  }
}

/** The sha256 (hex) of an input's bytes as the registrar reads them (null = empty). */
export const inputSha256 = (value: string | Buffer | null): string => sha256(bytesOf(value));

// ---------------------------------------------------------------------------------------

class Violations {
  readonly list: Violation[] = [];
  add(invariant: InvariantLetter, detail: string): void {
    this.list.push({ invariant, detail });
  }
}

const causeKey = (scope: string, causationId: string): string => `${scope}\u0000${causationId}`;

interface ScopeReplay {
  epoch: number;
  /** ifIndex → the live registration. */
  readonly byIndex: Map<number, InterfaceRegistered>;
  /** LUID hex → ifIndex. */
  readonly byLuid: Map<string, number>;
}

const validIndex = (ifIndex: unknown, max: number): boolean => Number.isInteger(ifIndex) && (ifIndex as number) >= 1 && (ifIndex as number) <= max;

/**
 * Replays every scope's history in order: (b), (c), and the duplicate half of (a). Fills
 * `recorded` and answers the outcome the registrar must have published per recorded message.
 */
function replayHistory(
  events: readonly RecordedEvent[],
  maxIfIndex: number,
  violations: Violations,
  recorded: Map<string, RecordedEvent[]>,
): Map<string, { readonly outcome: RegistryEvent; readonly position: number }> {
  const expected = new Map<string, { readonly outcome: RegistryEvent; readonly position: number }>();
  const scopes = new Map<string, ScopeReplay>();
  const lastRevision = new Map<string, number>();
  for (const recordedEvent of events) {
    const event = recordedEvent.data as RegistryEvent;
    const at = `position ${recordedEvent.position}`;
    const problem = eventProblem(recordedEvent.data);
    if (problem !== undefined) {
      // Refused by the contracts (the read model skips it). An ifIndex out of range is (c);
      // anything else is a recorded outcome no one can read, (a).
      const ifIndex = (recordedEvent.data as { ifIndex?: unknown } | null)?.ifIndex;
      if (ifIndex !== undefined && !validIndex(ifIndex, maxIfIndex)) {
        violations.add('c', `${recordedEvent.stream}: ${recordedEvent.type} with ifIndex ${JSON.stringify(ifIndex)} (allowed 1..${maxIfIndex}) at ${at}`);
      } else {
        violations.add('a', `event at ${at} (${recordedEvent.stream}) is not a valid event: ${problem}`);
      }
      if (typeof event?.scope === 'string' && typeof event.causationId === 'string') {
        const key = causeKey(event.scope, event.causationId);
        recorded.set(key, [...(recorded.get(key) ?? []), recordedEvent]);
        if (!expected.has(key)) expected.set(key, { outcome: event, position: recordedEvent.position });
      }
      continue;
    }
    const previous = lastRevision.get(recordedEvent.stream);
    if (previous !== undefined && recordedEvent.revision !== previous + 1) {
      violations.add('b', `${recordedEvent.stream}: revision ${recordedEvent.revision} follows ${previous} at ${at}; the history has a hole or is out of order`);
    }
    lastRevision.set(recordedEvent.stream, recordedEvent.revision);

    const key = causeKey(event.scope, event.causationId);
    const same = recorded.get(key) ?? [];
    same.push(recordedEvent);
    recorded.set(key, same);
    if (same.length === 2) {
      violations.add('a', `message ${event.causationId} in scope ${event.scope} has ${same.length} recorded outcomes (${same.map((e) => `${e.type}@${e.position}`).join(', ')})`);
    }

    let scope = scopes.get(event.scope);
    if (!scope) {
      scope = { epoch: 0, byIndex: new Map(), byLuid: new Map() };
      scopes.set(event.scope, scope);
    }
    let outcome: RegistryEvent = event;
    switch (event.type) {
      case 'BootEpochStarted':
        if (event.epoch !== scope.epoch + 1) violations.add('b', `${event.scope}: BootEpochStarted epoch ${event.epoch} after epoch ${scope.epoch} at ${at}`);
        scope.epoch = event.epoch;
        scope.byIndex.clear();
        scope.byLuid.clear();
        break;
      case 'InterfaceRegistered': {
        if (!validIndex(event.ifIndex, maxIfIndex)) violations.add('c', `${event.scope}: InterfaceRegistered with ifIndex ${event.ifIndex} (allowed 1..${maxIfIndex}) at ${at}`);
        if (event.epoch !== scope.epoch) {
          violations.add('b', `${event.scope}: ifIndex ${event.ifIndex} registered for epoch ${event.epoch} while the scope is in epoch ${scope.epoch} at ${at}`);
          break;
        }
        const holder = scope.byIndex.get(event.ifIndex);
        if (holder) {
          violations.add('b', `${event.scope} epoch ${scope.epoch}: ifIndex ${event.ifIndex} given to ${luidHex(event.luid)} at ${at} while ${luidHex(holder.luid)} holds it`);
        }
        const luid = luidHex(event.luid);
        const sameLuid = scope.byLuid.get(luid);
        if (sameLuid !== undefined && sameLuid !== event.ifIndex) {
          violations.add('b', `${event.scope} epoch ${scope.epoch}: LUID ${luid} registered again as ifIndex ${event.ifIndex} at ${at} while live as ifIndex ${sameLuid}`);
          scope.byIndex.delete(sameLuid);
        }
        scope.byIndex.set(event.ifIndex, event);
        scope.byLuid.set(luid, event.ifIndex);
        break;
      }
      case 'InterfaceDeregistered': {
        if (!validIndex(event.ifIndex, maxIfIndex)) violations.add('c', `${event.scope}: InterfaceDeregistered with ifIndex ${event.ifIndex} at ${at}`);
        const holder = scope.byIndex.get(event.ifIndex);
        const luid = luidHex(event.luid);
        if (event.epoch !== scope.epoch || !holder || luidHex(holder.luid) !== luid) {
          violations.add('b', `${event.scope} epoch ${scope.epoch}: deregistered ifIndex ${event.ifIndex} (${luid}, epoch ${event.epoch}) at ${at}, which was not live with that LUID`);
          break;
        }
        scope.byIndex.delete(event.ifIndex);
        scope.byLuid.delete(luid);
        break;
      }
      case 'InterfaceRedetected': {
        if (!validIndex(event.ifIndex, maxIfIndex)) violations.add('c', `${event.scope}: InterfaceRedetected with ifIndex ${event.ifIndex} at ${at}`);
        const holder = scope.byIndex.get(event.ifIndex);
        if (event.epoch !== scope.epoch || !holder || luidHex(holder.luid) !== luidHex(event.luid)) {
          violations.add('b', `${event.scope} epoch ${scope.epoch}: redetected ifIndex ${event.ifIndex} (${luidHex(event.luid)}) at ${at}, which was not live with that LUID`);
          break;
        }
        outcome = { ...holder, causationId: event.causationId };
        break;
      }
      case 'RegistrationFailed':
        if (event.status === 'RESOURCES' && event.messageType === 'InterfaceDetected' && scope.byIndex.size < maxIfIndex) {
          violations.add('c', `${event.scope}: RESOURCES at ${at} while only ${scope.byIndex.size} of ${maxIfIndex} indexes are live`);
        }
        break;
      default:
        break;
    }
    if (!expected.has(key)) expected.set(key, { outcome, position: recordedEvent.position });
  }
  return expected;
}

/** (a): every recorded message's outcome is on the topic, as recorded; (c) on the topic. */
function checkOutcomes(
  records: readonly TopicRecord[],
  recorded: ReadonlyMap<string, readonly RecordedEvent[]>,
  expected: ReadonlyMap<string, { readonly outcome: RegistryEvent; readonly position: number }>,
  maxIfIndex: number,
  violations: Violations,
): void {
  const seen = new Set<string>();
  for (const record of records) {
    const where = `outcome record ${record.partition}:${record.offset}`;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(record.value?.toString('utf8') ?? 'null') as Record<string, unknown>;
    } catch {
      violations.add('a', `${where} is not JSON`);
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      violations.add('a', `${where} is not a JSON object`);
      continue;
    }
    const { position, ...outcome } = parsed;
    const scope = typeof outcome['scope'] === 'string' ? outcome['scope'] : '?';
    const causationId = typeof outcome['causationId'] === 'string' ? outcome['causationId'] : '?';
    if ('ifIndex' in outcome && !validIndex(outcome['ifIndex'], maxIfIndex)) {
      violations.add('c', `${where} (${scope}, ${causationId}) answers ifIndex ${JSON.stringify(outcome['ifIndex'])}`);
    }
    const key = causeKey(scope, causationId);
    const want = expected.get(key);
    if (!want) {
      violations.add('a', `${where} answers message ${causationId} in scope ${scope}, which nothing in the store records`);
      continue;
    }
    seen.add(key);
    // An old redetection answered from the store after its registration ended: the recorded event itself (DESIGN §2.4).
    const asRecorded = (recorded.get(key) ?? []).some((e) => isDeepStrictEqual(outcome, JSON.parse(JSON.stringify(e.data))));
    if (!asRecorded && !isDeepStrictEqual(outcome, JSON.parse(JSON.stringify(want.outcome)))) {
      violations.add('a', `${where} for ${causationId} in ${scope} differs from the recorded outcome: published ${short(outcome)}, recorded ${short(want.outcome)}`);
    }
    if (typeof position !== 'number' || position < want.position) {
      violations.add('a', `${where} for ${causationId} in ${scope} has position ${JSON.stringify(position)}, before its event at ${want.position}`);
    }
  }
  for (const [key, events] of recorded) {
    if (seen.has(key)) continue;
    const first = events[0];
    const event = first?.data as RegistryEvent | undefined;
    violations.add('a', `message ${event?.causationId ?? key} in scope ${event?.scope ?? '?'} has a recorded ${first?.type ?? 'event'} at position ${first?.position ?? '?'} but no outcome on the topic`);
  }
}

interface DeadLetterEntry {
  readonly identity: string;
  readonly reason: string;
}

/** Distinct dead letters (by ce_id) with the identity of their original (key + sha256 of bytes). */
function distinctDeadLetters(records: readonly TopicRecord[], violations: Violations): DeadLetterEntry[] {
  const byId = new Map<string, DeadLetterEntry>();
  for (const record of records) {
    const view = parseDeadLetter(record);
    if (!view) {
      violations.add('e', `dead letter ${record.partition}:${record.offset} is not JSON carrying the original message (its value or sha256)`);
      continue;
    }
    if (view.reason.length === 0) violations.add('e', `dead letter ${record.partition}:${record.offset} has no reason`);
    byId.set(record.headers['ce_id'] ?? `${record.partition}:${record.offset}`, { identity: inputIdentity(view.key, view.sha256), reason: view.reason });
  }
  return [...byId.values()];
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (value: string | Buffer | null): Buffer => (value === null ? Buffer.alloc(0) : typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
const inputIdentity = (key: string | null, digest: string): string => `${key ?? '\u0000null'}\u0000${digest}`;

/** (e): each input is recorded in the store (by its message id) or dead-lettered (by its bytes). */
function checkInputs(
  inputs: readonly SentInput[],
  recorded: ReadonlyMap<string, readonly RecordedEvent[]>,
  deadLetters: readonly DeadLetterEntry[],
  violations: Violations,
): { recorded: number; deadLettered: number } {
  const available = new Map<string, number>();
  for (const { identity } of deadLetters) available.set(identity, (available.get(identity) ?? 0) + 1);
  let inStore = 0;
  let dead = 0;
  const lost: string[] = [];
  for (const input of inputs) {
    const bytes = bytesOf(input.value);
    const decoded = decodeAgentMessage(bytes);
    const cause =
      decoded.kind === 'message'
        ? causeKey(decoded.message.scope, decoded.message.messageId)
        : decoded.kind === 'rejected'
          ? causeKey(decoded.scope, decoded.messageId)
          : undefined;
    if (cause !== undefined && recorded.has(cause)) {
      inStore++;
      continue;
    }
    const identity = inputIdentity(input.key, sha256(bytes));
    const left = available.get(identity) ?? 0;
    if (left > 0) {
      available.set(identity, left - 1);
      dead++;
      continue;
    }
    const what = decoded.kind === 'dead-letter' ? `unreadable (${decoded.reason.slice(0, 80)})` : `message ${cause?.split('\u0000').reverse().join(' in scope ')}`;
    lost.push(`input key ${JSON.stringify(input.key)} (${bytes.length} bytes, ${what}) is neither in the store nor dead-lettered`);
  }
  for (const detail of lost) violations.add('e', detail);
  return { recorded: inStore, deadLettered: dead };
}

/** (d): the query service's lists against the oracle's own fold of the store (read-model-oracle.ts). */
async function checkReadModel(queryUrl: string, events: readonly RecordedEvent[], violations: Violations): Promise<void> {
  const oracle = foldOracle(events, (data) => eventProblem(data) === undefined);
  const head = events.at(-1)?.position ?? 0;
  const base = queryUrl.replace(/\/$/, '');
  const read = `minPosition=${head}&timeoutMs=30000`;
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}${read}`);
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text: text.slice(0, 200) };
    }
    return { status: response.status, body };
  };

  const scopes = await get('/v1/scopes');
  if (scopes.status !== 200) {
    violations.add('d', `GET /v1/scopes answered ${scopes.status}: ${short(scopes.body)}`);
    return;
  }
  if (scopes.body['position'] !== head) violations.add('d', `GET /v1/scopes is at position ${String(scopes.body['position'])}, the store at ${head}`);
  const want = roundTrip(expectedScopes(oracle));
  const got = [...((scopes.body['items'] as { scope: string }[] | undefined) ?? [])].sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  if (!isDeepStrictEqual(got, want)) {
    violations.add('d', `GET /v1/scopes differs from the store: ${describeListDifference(got, want, (s) => (s as { scope?: string }).scope ?? '?')}`);
  }

  const names = [...oracle.keys()];
  const concurrency = 8;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++];
      if (name === undefined) return;
      const view = oracle.get(name);
      if (!view) continue;
      const path = `/v1/scopes/${encodeURIComponent(name)}`;
      const list = await get(`${path}/interfaces`);
      if (list.status !== 200) {
        violations.add('d', `GET ${path}/interfaces answered ${list.status}: ${short(list.body)}`);
      } else {
        if (list.body['epoch'] !== view.epoch) violations.add('d', `${name}: the query service says epoch ${String(list.body['epoch'])}, the store ${view.epoch}`);
        const items = ((list.body['items'] as unknown[] | undefined) ?? []).map(comparableInterface);
        const wanted = roundTrip(expectedInterfaces(view));
        if (!isDeepStrictEqual(items, wanted)) {
          violations.add('d', `${name}: interfaces differ from the store: ${describeListDifference(items, wanted, (i) => String((i as { ifIndex?: number }).ifIndex))}`);
        }
      }
      const failures = await get(`${path}/failures`);
      if (failures.status !== 200) {
        violations.add('d', `GET ${path}/failures answered ${failures.status}: ${short(failures.body)}`);
      } else if (!isDeepStrictEqual(failures.body['items'], roundTrip(view.failures))) {
        violations.add('d', `${name}: failures differ from the store: ${describeListDifference(failures.body['items'], roundTrip(view.failures), (f) => String((f as { causationId?: string }).causationId))}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, () => worker()));
}

const roundTrip = <T>(value: T): unknown => JSON.parse(JSON.stringify(value)) as unknown;

function describeListDifference(got: unknown, want: unknown, idOf: (item: unknown) => string): string {
  if (!Array.isArray(got)) return `answered ${short(got)}, expected ${Array.isArray(want) ? want.length : 0} items`;
  const wanted = Array.isArray(want) ? (want as unknown[]) : [];
  const gotById = new Map(got.map((item) => [idOf(item), item]));
  const wantById = new Map(wanted.map((item) => [idOf(item), item]));
  const missing = [...wantById.keys()].filter((id) => !gotById.has(id));
  const extra = [...gotById.keys()].filter((id) => !wantById.has(id));
  const changed = [...wantById.keys()].filter((id) => gotById.has(id) && !isDeepStrictEqual(gotById.get(id), wantById.get(id)));
  const parts = [`${got.length} items, expected ${wanted.length}`];
  if (missing.length > 0) parts.push(`missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`);
  if (extra.length > 0) parts.push(`extra ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? '…' : ''}`);
  if (changed.length > 0) {
    const first = changed[0] ?? '';
    parts.push(`different ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? '…' : ''} (first: ${short(gotById.get(first))} vs ${short(wantById.get(first))})`);
  }
  if (missing.length + extra.length + changed.length === 0) parts.push('same items in another order');
  return parts.join('; ');
}

const short = (value: unknown, max = 300): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

function stringHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}
