import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { Partitioners, type Kafka } from 'kafkajs';
import { decodeAgentMessage, DEFAULT_MAX_MESSAGE_BYTES } from '@ifreg/contracts';
import type { RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import {
  Cleanup, RegistrarProcess, brokers, createTopics, detection, registrarEnv, tempDir, waitFor,
} from '../../services/registrar/src/testing/kafka-harness';
import {
  checkInvariantsReport, expectNoViolations, inputSha256, parseDeadLetter, readStore, readTopic, waitForGroupCaughtUp, type SentInput,
} from './invariants';
import { QueryProcess } from './query-process';

/*
 * Scenario 4 of issue 9 (docs/faults.md): hostile input straight onto the agent-messages
 * topic with a plain kafkajs producer, against the real registrar process. 10,000 messages
 * from a seeded fast-check fuzzer (FAULTS_SEED=n reproduces a run): bytes that are not JSON,
 * truncated JSON, messages over the maximum size, deep nesting, wrong types, __proto__ and
 * constructor keys, LUIDs out of range or with reserved bits, unknown enums and types, names
 * with control characters, bad message ids, and valid detections among them. The registrar
 * must stay up and healthy, each input must end as the outcome its kind calls for (with a
 * reason), and the invariants of tools/faults/invariants.ts must hold.
 */
const describeKafka = brokers().length > 0 ? describe : describe.skip;
const root = join(__dirname, '..', '..');
const log = createLogger({ name: 'faults-hostile-input', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
const SEED = Number(process.env['FAULTS_SEED'] ?? 20261124);
const SCOPES = Array.from({ length: 20 }, (_, i) => `fuzz-${i}`);
let kafka: Kafka;

/** What an input must become: a dead letter, a refusal, a registration, or (names) either of the latter. */
type Expect = 'dead' | 'failed' | 'registered' | 'registered-or-failed';
interface Hostile {
  readonly kind: string;
  readonly expect: Expect;
  readonly key: string | null;
  readonly value: string | Buffer | null;
  /** For names: the friendly name sent, which a registration must keep exactly. */
  readonly name?: string;
}

beforeAll(() => {
  if (brokers().length === 0) return;
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root });
  kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-faults-hostile' }), log);
});
afterEach(() => cleanup.run());

function spawnRegistrar(env: Record<string, string>): RegistrarProcess {
  return cleanup.add(new RegistrarProcess(root, env), async (registrar) => {
    if (registrar.running) await registrar.stop();
  });
}

// --- the fuzzer --------------------------------------------------------------------------

let luidCounter = 0;
/** A valid detection with a LUID of its own, as the base that mutations start from. */
const base = (scope: string): Record<string, unknown> => detection(scope, ++luidCounter, randomUUID());
const scopeArb = fc.constantFrom(...SCOPES);
const json = (body: unknown): string => JSON.stringify(body);
/** Inserts `"key": value` as raw JSON text at the start of the object at `path` (keys JSON.stringify cannot write). */
const withRawKey = (body: Record<string, unknown>, path: 'top' | 'info' | 'luid', key: string, value: string): string => {
  const marker = '"__insert_here__":0';
  const target: Record<string, unknown> = path === 'top' ? body : (body[path] as Record<string, unknown>);
  const copy = { __insert_here__: 0, ...target };
  const text = path === 'top' ? json(copy) : json({ ...body, [path]: copy });
  return text.replace(marker, `${JSON.stringify(key)}:${value}`);
};
const nonString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
const nonInteger = fc.oneof(fc.string({ maxLength: 10 }), fc.double().filter((d) => !Number.isInteger(d)), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({}));
const controlChars = fc.constantFrom('\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u200b', '\u202e', '\ufeff', '\ud800', '\udfff', '\u2028');
const nameWithControls = fc
  .tuple(fc.string({ minLength: 0, maxLength: 20 }), fc.array(controlChars, { minLength: 1, maxLength: 8 }), fc.string({ maxLength: 20 }))
  .map(([a, c, b]) => `${a}${c.join('')}${b}`);

const generators: readonly { readonly count: number; readonly arb: fc.Arbitrary<Hostile> }[] = [
  // 1. bytes that are not JSON
  { count: 1000, arb: fc.uint8Array({ minLength: 0, maxLength: 512 }).map((bytes) => ({ kind: 'random bytes', expect: 'dead' as const, key: null, value: Buffer.from(bytes) })) },
  // 2. JSON cut short: no proper prefix of an object's text is JSON
  {
    count: 1000,
    arb: fc.tuple(scopeArb, fc.double({ min: 0, max: 1, noNaN: true })).map(([scope, at]) => {
      const text = json(base(scope));
      return { kind: 'truncated JSON', expect: 'dead' as const, key: scope, value: text.slice(0, Math.max(1, Math.floor(at * (text.length - 1)))) };
    }),
  },
  // 3. JSON that is not an object
  {
    count: 300,
    arb: fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => ({ kind: 'not an object', expect: 'dead' as const, key: 'k', value: json(v) })),
  },
  // 4. scopes no one can read: wrong pattern, control characters, too long, not a string
  {
    count: 700,
    arb: fc
      .tuple(fc.oneof(fc.string({ maxLength: 80 }), nameWithControls, fc.string({ minLength: 65, maxLength: 100 }), nonString), scopeArb)
      .filter(([scope]) => !(typeof scope === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(scope)))
      .map(([scope, keyScope]) => ({ kind: 'bad scope', expect: 'dead' as const, key: keyScope, value: json({ ...base(keyScope), scope }) })),
  },
  // 6. deep nesting (within the size limit): refused with the readable scope
  {
    count: 500,
    arb: fc.tuple(scopeArb, fc.integer({ min: 33, max: 8000 }), fc.boolean(), fc.constantFrom('info', 'extra', 'luid')).map(([scope, depth, arrays, where]) => {
      const deep = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const body = base(scope);
      const text = where === 'extra' ? withRawKey(body, 'top', 'extra', deep) : json({ ...body, [where]: '__deep__' }).replace('"__deep__"', deep);
      return { kind: 'deep nesting', expect: 'failed' as const, key: scope, value: text };
    }),
  },
  // 7. wrong types in one field
  {
    count: 1500,
    arb: fc
      .tuple(scopeArb, fc.constantFrom('schemaVersion', 'providerId', 'luid', 'luid.ifType', 'luid.netLuidIndex', 'info', 'info.friendlyName', 'info.flags', 'info.mediaType', 'info.connectorPresent', 'info.physicalLocation', 'providerIfContext', 'detectedAt', 'type'), nonString, nonInteger)
      .map(([scope, field, anything, notInt]) => {
        const body = base(scope);
        const [outer, inner] = field.split('.') as [string, string | undefined];
        const wrong: unknown =
          field === 'info.connectorPresent' ? (typeof anything === 'boolean' ? 'yes' : anything)
          : field === 'schemaVersion' || field.startsWith('luid.') || field === 'info.flags' || field === 'info.mediaType' ? notInt
          : field === 'detectedAt' ? (typeof notInt === 'string' ? `${notInt}not-a-date` : notInt)
          : field === 'luid' || field === 'info' || field === 'info.physicalLocation' ? (typeof anything === 'object' && anything !== null && !Array.isArray(anything) ? 'not an object' : anything)
          : anything;
        if (inner === undefined) body[outer] = wrong;
        else body[outer] = { ...(body[outer] as Record<string, unknown>), [inner]: wrong };
        return { kind: 'wrong type', expect: 'failed' as const, key: scope, value: json(body) };
      }),
  },
  // 8. __proto__ / constructor / prototype keys anywhere
  {
    count: 800,
    arb: fc
      .tuple(scopeArb, fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.constantFrom('top' as const, 'info' as const, 'luid' as const), fc.constantFrom('{"polluted":true}', '{"toString":1}', 'null', '[]', '"x"'))
      .map(([scope, key, where, value]) => ({ kind: 'prototype keys', expect: 'failed' as const, key: scope, value: withRawKey(base(scope), where, key, value) })),
  },
  // 9. LUIDs out of range, negative, with reserved bits set or extra fields
  {
    count: 1500,
    arb: fc
      .tuple(
        scopeArb,
        fc.oneof(
          fc.integer({ min: 2 ** 24, max: Number.MAX_SAFE_INTEGER }).map((n) => ({ ifType: 6, netLuidIndex: n })),
          fc.integer({ min: -(2 ** 31), max: -1 }).map((n) => ({ ifType: 6, netLuidIndex: n })),
          fc.integer({ min: 65536, max: 2 ** 32 }).map((t) => ({ ifType: t, netLuidIndex: 1 })),
          fc.integer({ min: -100, max: -1 }).map((t) => ({ ifType: t, netLuidIndex: 1 })),
          fc.integer({ min: 1, max: 2 ** 24 - 1 }).map((reserved) => ({ ifType: 6, netLuidIndex: 1, reserved })),
          fc.bigInt({ min: 1n, max: 2n ** 24n - 1n }).map((reserved) => ({ ifType: 6, netLuidIndex: 1, value: `0x${((6n << 48n) | (1n << 24n) | reserved).toString(16).padStart(16, '0')}` })),
          fc.constantFrom({ ifType: 6 }, { netLuidIndex: 1 }, {}),
        ),
        fc.boolean(),
      )
      .map(([scope, luid, removal]) => {
        const body = base(scope);
        const message = removal ? { type: 'InterfaceRemoved', schemaVersion: 1, messageId: randomUUID(), scope, providerId: 'agent-int', luid } : { ...body, luid };
        return { kind: 'bad LUID', expect: 'failed' as const, key: scope, value: json(message) };
      }),
  },
  // 10. unknown types, schema versions and enum values
  {
    count: 1000,
    arb: fc
      .tuple(
        scopeArb,
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !['InterfaceDetected', 'InterfaceRemoved', 'BootEpoch', 'NetLuidIndexRequested', 'NetLuidIndexFreeRequested'].includes(t)).map((type) => ({ type })),
          fc.integer().filter((v) => v !== 1).map((schemaVersion) => ({ schemaVersion })),
          fc.string({ maxLength: 20 }).filter((v) => !['broadcast', 'pointToPoint', 'pointToMultipoint', 'loopback', 'unknown'].includes(v)).map((accessType) => ({ info: { friendlyName: 'eth', accessType } })),
          fc.string({ maxLength: 20 }).map((directionType) => ({ info: { friendlyName: 'eth', directionType: `${directionType}?` } })),
          fc.string({ maxLength: 20 }).map((connectionType) => ({ info: { friendlyName: 'eth', connectionType: `${connectionType}?` } })),
          fc.integer({ min: 10_000, max: 2 ** 31 }).map((mediaType) => ({ info: { friendlyName: 'eth', mediaType } })),
          fc.integer({ min: 10_000, max: 2 ** 31 }).map((physicalMediumType) => ({ info: { friendlyName: 'eth', physicalMediumType } })),
          fc.integer({ min: 4, max: 2 ** 31 }).map((flags) => ({ info: { friendlyName: 'eth', flags } })),
          fc.string({ minLength: 1, maxLength: 10 }).map((field) => ({ info: { friendlyName: 'eth', [`x-${field}`]: 1 } })),
        ),
      )
      .map(([scope, change]) => ({ kind: 'unknown enum or type', expect: 'failed' as const, key: scope, value: json({ ...base(scope), ...change }) })),
  },
  // 11. names with control characters, lone surrogates, bidi overrides: kept exactly, or refused
  {
    count: 800,
    arb: fc.tuple(scopeArb, nameWithControls, fc.constantFrom('friendlyName', 'providerId', 'providerIfContext')).map(([scope, name, field]) => {
      const body = base(scope);
      if (field === 'friendlyName') body['info'] = { friendlyName: name };
      else body[field] = name;
      return { kind: 'control characters', expect: 'registered-or-failed' as const, key: scope, value: json(body), ...(field === 'friendlyName' ? { name } : {}) };
    }),
  },
  // 12. message ids no one may use (refused under an id derived from the body)
  {
    count: 300,
    arb: fc.tuple(scopeArb, fc.oneof(fc.string({ maxLength: 140 }).filter((id) => !/^[A-Za-z0-9._:-]{1,128}$/.test(id)), nonString)).map(([scope, messageId]) => ({
      kind: 'bad message id', expect: 'failed' as const, key: scope, value: json({ ...base(scope), messageId }),
    })),
  },
  // 13. valid detections among all that
  { count: 580, arb: scopeArb.map((scope) => ({ kind: 'valid', expect: 'registered' as const, key: scope, value: json(base(scope)) })) },
];

/** Messages over the maximum size: a valid-looking detection padded with a huge name or whitespace. */
function oversized(count: number): Hostile[] {
  return Array.from({ length: count }, (_, i) => {
    const scope = SCOPES[i % SCOPES.length] ?? 'fuzz-0';
    const size = DEFAULT_MAX_MESSAGE_BYTES + 1 + i * 2048;
    const body = json({ ...base(scope), info: { friendlyName: 'x' } });
    const value = i % 2 === 0 ? json({ ...base(scope), info: { friendlyName: 'x'.repeat(size) } }) : `{${' '.repeat(size - body.length + 1)}${body.slice(1)}`;
    return { kind: 'over the maximum size', expect: 'dead' as const, key: scope, value };
  });
}

/** The 10,000 inputs in a seeded random order; the oversized ones spread evenly among them. */
function fuzz(seed: number): Hostile[] {
  const all = generators.flatMap(({ count, arb }, i) => fc.sample(arb, { numRuns: count, seed: seed + i }));
  const shuffled = fc.sample(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), { numRuns: 1, seed })[0] ?? all;
  const big = oversized(20);
  const every = Math.floor(shuffled.length / big.length);
  big.forEach((message, i) => shuffled.splice(i * (every + 1) + every, 0, message));
  return shuffled;
}

// -----------------------------------------------------------------------------------------

describeKafka('hostile input on the agent-messages topic', () => {
  it('10,000 fuzzed messages: the registrar stays up, every input ends as a refusal, a registration or a dead letter with a reason, and the invariants hold', async () => {
    // given
    const started = Date.now();
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info' });
    await createTopics(kafka, env);
    const registrar = spawnRegistrar(env);
    const opsUrl = await registrar.started(30_000);
    const inputs = fuzz(SEED);
    expect(inputs).toHaveLength(10_000);

    // when: sent as they are, by a producer that does not care what it sends
    const producer = cleanup.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    const sendStarted = Date.now();
    for (let i = 0; i < inputs.length; i += 200) {
      await producer.send({ topic: env['IFREG_TOPIC_AGENT_MESSAGES']!, messages: inputs.slice(i, i + 200).map(({ key, value }) => ({ key, value })) });
    }
    const sentMs = Date.now() - sendStarted;
    await waitForGroupCaughtUp(kafka, env['IFREG_KAFKA_GROUP']!, env['IFREG_TOPIC_AGENT_MESSAGES']!, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\nregistrar running: ${registrar.running}; output:\n${registrar.tail()}`);
    });
    const drainedMs = Date.now() - sendStarted;

    // then: still running and healthy
    expect(registrar.running).toBe(true);
    expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${opsUrl}/readyz`)).status).toBe(200);

    // every input became what its kind calls for, with a reason
    const store = cleanup.add(new SqliteEventStore({ path: env['IFREG_SQLITE_PATH']! }), (s) => s.close());
    const byCause = new Map((await readStore(store)).map((e) => { const data = e.data as RegistryEvent; return [`${data.scope}\u0000${data.causationId}`, data]; }));
    const deadLetters = new Map<string, string>();
    for (const record of await readTopic(kafka, env['IFREG_TOPIC_DEAD_LETTERS']!)) {
      const view = parseDeadLetter(record);
      if (view) deadLetters.set(`${view.key ?? ''}\u0000${view.sha256}`, view.reason);
    }
    const wrong: string[] = [];
    const tally = new Map<string, number>();
    for (const input of inputs) {
      const decoded = decodeAgentMessage(input.value ?? Buffer.alloc(0), { maxBytes: Number.MAX_SAFE_INTEGER });
      const cause = decoded.kind === 'message' ? `${decoded.message.scope}\u0000${decoded.message.messageId}` : decoded.kind === 'rejected' ? `${decoded.scope}\u0000${decoded.messageId}` : undefined;
      const event = cause === undefined ? undefined : byCause.get(cause);
      const dead = deadLetters.get(`${input.key ?? ''}\u0000${inputSha256(input.value)}`);
      const got = dead !== undefined ? 'dead' : event?.type === 'RegistrationFailed' ? 'failed' : event?.type === 'InterfaceRegistered' ? 'registered' : (event?.type ?? 'nothing');
      const reason = dead ?? (event?.type === 'RegistrationFailed' ? event.reason : 'registered');
      const ok =
        (input.expect === 'registered-or-failed' ? got === 'registered' || got === 'failed' : got === input.expect) &&
        reason.length > 0 &&
        (got !== 'failed' || (event?.type === 'RegistrationFailed' && event.status === 'INVALID_PARAMETER')) &&
        (input.name === undefined || event?.type !== 'InterfaceRegistered' || event.info.friendlyName === input.name);
      tally.set(`${input.kind} → ${got}`, (tally.get(`${input.kind} → ${got}`) ?? 0) + 1);
      if (!ok) wrong.push(`${input.kind}: expected ${input.expect}, got ${got} (${reason.slice(0, 100)}) for ${String(input.value).slice(0, 120)}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);

    // the invariants, with the query service's read model against a fresh fold
    const query = cleanup.add(new QueryProcess(root, { IFREG_SQLITE_PATH: env['IFREG_SQLITE_PATH']! }), (q) => q.stop());
    const queryUrl = await query.started(60_000);
    const sent: SentInput[] = inputs.map(({ key, value }) => ({ key, value }));
    const report = await checkInvariantsReport({
      store, kafka, outcomesTopic: env['IFREG_TOPIC_OUTCOMES']!, deadLettersTopic: env['IFREG_TOPIC_DEAD_LETTERS']!, inputs: sent, queryUrl,
    });
    expectNoViolations(report, 'hostile input');
    expect(registrar.running).toBe(true);

    process.stderr.write(
      `\n[faults] hostile input (seed ${SEED}): ${inputs.length} messages sent in ${sentMs} ms, all handled ${drainedMs} ms after the first send; ` +
        `${report.counts.events} events (${report.counts.inputsRecorded} inputs recorded), ${report.counts.outcomeRecords} outcome records, ` +
        `${report.counts.deadLetters} dead letters; violations ${report.violations.length}; registrar up, /healthz 200; ` +
        `check ${report.counts.ms} ms; total ${Date.now() - started} ms\n[faults]   ${[...tally].sort().map(([k, n]) => `${k}: ${n}`).join('; ')}\n`,
    );
  }, 170_000);

  // Two bugs this scenario found, fixed since (docs/faults.md): dead letters outgrew one produce
  // request and stopped the registrar; event ids ignored the scope and wedged a partition.
  it('500 small messages of control characters do not stop the registrar (their dead letters once outgrew one produce request)', async () => {
    // given
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info' });
    await createTopics(kafka, env);
    const registrar = spawnRegistrar(env);
    await registrar.started(30_000);
    // when: 200 KB of valid UTF-8 whose JSON escaping (\u0001) makes a ~1.2 MB dead-letter batch
    const producer = cleanup.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: 'k', value: `${'\u0001'.repeat(400)}${i}` }));
    await producer.send({ topic: env['IFREG_TOPIC_AGENT_MESSAGES']!, messages });
    // then
    await waitFor(
      async () => !registrar.running || (await readTopic(kafka, env['IFREG_TOPIC_DEAD_LETTERS']!)).length >= 500,
      30_000,
      () => '500 dead letters or the registrar to exit',
    );
    expect(registrar.running).toBe(true);
    expect(await readTopic(kafka, env['IFREG_TOPIC_DEAD_LETTERS']!)).toHaveLength(500);
  }, 60_000);

  it('a message id already used in another scope does not wedge its partition', async () => {
    // given
    const env = registrarEnv(tempDir(cleanup), { IFREG_LOG_LEVEL: 'info' });
    await createTopics(kafka, env);
    const registrar = spawnRegistrar(env);
    await registrar.started(30_000);
    // when: the same message id in two scopes, then a good detection behind it
    const id = randomUUID();
    const after = detection('scope-two', 2);
    const producer = cleanup.add(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    await producer.send({
      topic: env['IFREG_TOPIC_AGENT_MESSAGES']!,
      messages: [detection('scope-one', 1, id), detection('scope-two', 1, id), after].map((body) => ({ key: 'same-partition', value: json(body) })),
    });
    // then: the detection after it is registered (the batch used to fail, again and again)
    await waitFor(
      async () => registrar.logged('agent message batch failed; it will be fetched again from the last committed offset').length > 0 || (await storeHas(env, after.messageId)),
      30_000,
      () => 'the detection after the reused id, or a failed batch',
    );
    expect(await storeHas(env, after.messageId)).toBe(true);
  }, 60_000);
});

async function storeHas(env: Record<string, string>, causationId: string): Promise<boolean> {
  const store = new SqliteEventStore({ path: env['IFREG_SQLITE_PATH']! });
  try {
    return (await readStore(store)).some((e) => (e.data as { causationId?: string }).causationId === causationId);
  } finally {
    await store.close();
  }
}
