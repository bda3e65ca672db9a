import 'reflect-metadata';
import { get, type IncomingMessage } from 'node:http';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { Kafka } from 'kafkajs';
import { TransportRegistryClient } from '@ifreg/agent-sdk';
import { SqliteEventStore } from '@ifreg/event-store';
import { buildHttpApi } from '@ifreg/http-api';
import { KafkaAgentProducer, KafkaOutcomeSource, createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger, createMetricsRegistry, registerTracing, type Tracing } from '@ifreg/platform';
import { ReadModelService } from '@ifreg/query';
import { loadConfig } from './config';
import { startRegistrar } from './start';
import { Cleanup, brokers, createTopics, detection, recordedEvents, registrarEnv, tempDir, waitFor } from './testing/kafka-harness';

// One detection followed through every process of the pipeline, here in one process so one
// in-memory exporter sees every span: the agent client, the registrar, the query side.
// Skipped only without a broker: jest's global setup starts one, and where it cannot, says so
// and skips the Kafka specs; CI sets IFREG_REQUIRE_KAFKA=1, which fails the run instead.
const describeKafka = brokers().length > 0 ? describe : describe.skip;

const log = createLogger({ name: 'tracing-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
const WAIT = 15_000;
let kafka: Kafka;
let exporter: InMemorySpanExporter;
let tracing: Tracing;

beforeAll(() => {
  exporter = new InMemorySpanExporter();
  tracing = registerTracing('ifreg-tracing-int', exporter, {}, { batch: false });
  kafka = createKafka(kafkaSettings({ brokers: brokers(), clientId: 'ifreg-tracing-int' }), log);
});
afterAll(() => tracing.shutdown());
afterEach(() => cleanup.run());

/** The `registered` frames of a GET /v1/watch stream, as they arrive. */
function watch(url: string, frames: string[]): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => frames.push(...chunk.split('\n\n').filter((f) => f.includes('event: registered'))));
      resolve(response);
    });
    request.on('error', reject);
    cleanup.add(request, (r) => void r.destroy());
  });
}

const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span '${name}' among ${spans.map((s) => s.name).join(', ')}`);
  return span;
};
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describeKafka('tracing a detection end to end (in-memory exporter)', () => {
  it('keeps one trace from the agent through the registrar, the store and the outcome to the watch stream', async () => {
    // given: a registrar, a query side on its store with a watch stream open, an agent client
    const env = registrarEnv(tempDir(cleanup));
    await createTopics(kafka, env);
    cleanup.add(await startRegistrar(loadConfig(env)), (r) => r.stop());
    const store = cleanup.add(new SqliteEventStore({ path: env['IFREG_SQLITE_PATH']! }), (s) => s.close());
    const readModel = cleanup.add(new ReadModelService(store, log), (r) => r.stop());
    await readModel.start();
    const app = cleanup.add(await buildHttpApi({ readModel, store, metrics: createMetricsRegistry('query'), log, token: undefined, maxWaitMs: 5_000 }), (a) => a.close());
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const frames: string[] = [];
    await watch(`${base}/v1/watch`, frames);
    const message = detection('host-traced', 32768);
    const client = cleanup.add(
      new TransportRegistryClient({
        producer: new KafkaAgentProducer(kafka, { topic: env['IFREG_TOPIC_AGENT_MESSAGES']! }),
        outcomes: new KafkaOutcomeSource(kafka, { topic: env['IFREG_TOPIC_OUTCOMES']!, log, scopes: [message.scope] }),
      }),
      (c) => c.close(),
    );
    await client.connect();
    exporter.reset();

    // when
    const outcome = await client.send(message as Parameters<TransportRegistryClient['send']>[0], { timeoutMs: WAIT });
    await waitFor(() => frames.length > 0, WAIT, () => 'the registration on the watch stream');

    // then: every hop's span, all in the agent's trace, each under the one before it
    expect(outcome.event.type).toBe('InterfaceRegistered');
    const names = ['agent send InterfaceDetected', 'registrar handle', 'decode', 'decide', 'store append', 'outcome publish', 'agent outcome received', 'query fold', 'watch send'];
    await waitFor(() => names.every((n) => exporter.getFinishedSpans().some((s) => s.name === n)), WAIT, () => `spans ${names.join(', ')}; have ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    const spans = exporter.getFinishedSpans();
    const send = named(spans, 'agent send InterfaceDetected');
    const traceId = send.spanContext().traceId;
    for (const name of names) expect({ name, traceId: named(spans, name).spanContext().traceId }).toEqual({ name, traceId });
    const handle = named(spans, 'registrar handle');
    expect(parentOf(handle)).toBe(send.spanContext().spanId);
    for (const child of ['decode', 'decide', 'store append']) expect(parentOf(named(spans, child))).toBe(handle.spanContext().spanId);
    const publish = named(spans, 'outcome publish');
    expect(parentOf(publish)).toBe(handle.spanContext().spanId);
    expect(parentOf(named(spans, 'agent outcome received'))).toBe(publish.spanContext().spanId);
    const fold = named(spans, 'query fold');
    expect(parentOf(fold)).toBe(handle.spanContext().spanId);
    expect(parentOf(named(spans, 'watch send'))).toBe(fold.spanContext().spanId);
    // the event keeps the context in its metadata; the outcome record carried it back
    const [event] = (await recordedEvents(env['IFREG_SQLITE_PATH']!)).filter((e) => e.metadata['causationId'] === message.messageId);
    expect(event?.metadata['traceparent']).toBe(`00-${traceId}-${handle.spanContext().spanId}-01`);
    expect(outcome.trace?.['traceparent']).toBe(`00-${traceId}-${publish.spanContext().spanId}-01`);

    // a query service starting later folds the same event while catching up: no span for history
    const folds = (): number => exporter.getFinishedSpans().filter((s) => s.name === 'query fold').length;
    const before = folds();
    const later = cleanup.add(new ReadModelService(store, log), (r) => r.stop());
    await later.start();
    expect(later.position).toBeGreaterThanOrEqual(outcome.position);
    expect(folds()).toBe(before);
  });
});
