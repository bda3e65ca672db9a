import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { HttpRegistryClient, type WireMessage } from '@ifreg/agent-sdk';
import { registerTracing, type Tracing } from '@ifreg/platform';
import { instrumentFastify } from '@ifreg/platform/tracing';
import { loadConfig } from './config';
import { startAllInOne, type RunningAllInOne } from './start';

// The HTTP way in: the agent's request carries traceparent, @fastify/otel's request span
// continues it, the ingest hands it to the registrar with the message.
let exporter: InMemorySpanExporter;
let tracing: Tracing;
let http: { disable(): void };
let dir: string;
let running: RunningAllInOne | undefined;
const closers: (() => void)[] = [];

beforeAll(() => {
  exporter = new InMemorySpanExporter();
  tracing = registerTracing('ifreg-aio-tracing', exporter, {}, { batch: false });
  http = instrumentFastify(tracing);
});
afterAll(async () => {
  http.disable();
  await tracing.shutdown();
});
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ifreg-aio-tracing-'))));
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await running?.stop();
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const until = async (what: () => string, done: () => boolean): Promise<void> => {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('tracing a detection posted over HTTP (all-in-one, in-memory exporter)', () => {
  it('keeps the agent’s trace through the request, the registrar and the fold', async () => {
    running = await startAllInOne(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: join(dir, 'ifreg.db'), IFREG_LOG_LEVEL: 'silent', IFREG_REGISTER_HOST: 'false' }));
    const frames: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const request = get(`${running?.url}/v1/watch`, { headers: { accept: 'text/event-stream' } }, (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => frames.push(chunk));
        resolve();
      });
      request.on('error', reject);
      closers.push(() => request.destroy());
    });
    const client = new HttpRegistryClient({ url: running.url });
    exporter.reset();
    const message = {
      type: 'InterfaceDetected', schemaVersion: 1, messageId: randomUUID(), scope: 'host-http', providerId: 'test-agent', luid: { ifType: 6, netLuidIndex: 32768 },
      providerIfContext: 'ctx', info: { friendlyName: 'eth0', physAddress: '02:42:ac:11:00:02', accessType: 'broadcast', mediaType: 0, physicalMediumType: 14, connectorPresent: true, flags: 1 },
      detectedAt: '2026-11-24T12:00:00.000Z',
    } as unknown as WireMessage;

    const outcome = await client.send(message);
    await until(() => 'the registration on the watch stream', () => frames.some((f) => f.includes('event: registered')));

    expect(outcome.event.type).toBe('InterfaceRegistered');
    const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
    await until(() => `spans; have ${spans().map((s) => s.name).join(', ')}`, () => ['agent send InterfaceDetected', 'registrar handle', 'query fold', 'watch send'].every((n) => spans().some((s) => s.name === n)));
    const send = spans().find((s) => s.name === 'agent send InterfaceDetected');
    const traceId = send?.spanContext().traceId;
    const inTrace = spans().filter((s) => s.spanContext().traceId === traceId);
    // @fastify/otel's request span is the send's child, and the registrar's span is under it
    const request = inTrace.find((s) => s.parentSpanContext?.spanId === send?.spanContext().spanId);
    expect(request?.instrumentationScope.name).toBe('@fastify/otel');
    const handle = inTrace.find((s) => s.name === 'registrar handle');
    expect(handle).toBeDefined();
    expect(inTrace.map((s) => s.name)).toEqual(expect.arrayContaining(['decide', 'store append', 'outcome publish', 'query fold', 'watch send']));
    const ancestors = (span: ReadableSpan | undefined): string[] => {
      const out: string[] = [];
      for (let s = span; s; s = inTrace.find((p) => p.spanContext().spanId === s?.parentSpanContext?.spanId)) out.push(s.name);
      return out;
    };
    expect(ancestors(handle).at(-1)).toBe('agent send InterfaceDetected');
    expect(ancestors(handle)).toContain(request?.name);
  });
});
