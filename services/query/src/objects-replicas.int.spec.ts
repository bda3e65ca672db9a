import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectServer, Provider, TransportRegistryClient, WebSocketObjectChannel, type ObjectHandlers } from '@ifreg/agent-sdk';
import { KafkaAgentProducer, KafkaOutcomeSource, KafkaProviderChannel, createKafka, kafkaSettings } from '@ifreg/messaging';
import { luidName } from '@ifreg/domain';
import { createLogger } from '@ifreg/platform';
import { ServiceProcess, serviceMain, waitForValue } from '@ifreg/testing';
import { loadConfig } from './config';
import { startQuery } from './start';

/*
 * Two query replicas over Kafka and one store, the built registrar recording: an HTTP provider
 * holds its WebSocket to replica B, a Kafka provider reads its scope's partition; queries and
 * sets entering replica A reach both, and the set is recorded once and shown on A.
 */

const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const root = join(__dirname, '..', '..', '..');
const log = createLogger({ name: 'objects-replicas', level: process.env['LOG_LEVEL'] ?? 'silent' });
const tag = randomUUID().slice(0, 8);
const topics = {
  IFREG_TOPIC_AGENT_MESSAGES: `objr-agent-${tag}`,
  IFREG_TOPIC_OUTCOMES: `objr-outcomes-${tag}`,
  IFREG_TOPIC_DEAD_LETTERS: `objr-dead-${tag}`,
  IFREG_TOPIC_OBJECT_REQUESTS: `objr-requests-${tag}`,
  IFREG_TOPIC_OBJECT_REPLIES: `objr-replies-${tag}`,
};
const kafka = createKafka(kafkaSettings({ brokers, clientId: 'objects-replicas' }), log);

const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}


async function startRegistrar(db: string): Promise<void> {
  const registrar = new ServiceProcess('registrar', serviceMain('registrar'), {
    env: { ...topics, KAFKA_BROKERS: brokers.join(','), IFREG_SQLITE_PATH: db, IFREG_HTTP_PORT: '0', IFREG_KAFKA_GROUP: `objr-${tag}`, IFREG_LOG_LEVEL: 'info' },
  });
  closers.push(async () => void (await registrar.stop()));
  await registrar.waitForLog('registrar started', 30_000);
}

/** A provider registered over Kafka, reading only its scope's partition of the outcomes. */
async function registered(scope: string, providerId: string, dir: string, context: string) {
  const client = new TransportRegistryClient({
    producer: new KafkaAgentProducer(kafka, { topic: topics.IFREG_TOPIC_AGENT_MESSAGES }),
    outcomes: new KafkaOutcomeSource(kafka, { topic: topics.IFREG_TOPIC_OUTCOMES, log, scopes: [scope], maxWaitTimeMs: 100 }),
  });
  await client.connect();
  closers.push(() => client.close());
  const provider = new Provider({ providerId, scope, client, stateFile: join(dir, `${providerId}.json`) });
  await provider.allocateLuid(6, 'eth0');
  const registration = await provider.detect({ key: 'eth0', info: { friendlyName: 'eth0' }, providerIfContext: context });
  return { provider, registration };
}

const handlers = (sets: unknown[]): ObjectHandlers => ({
  queryObject: (q) => ({ status: 'SUCCESS', value: `answered for ${q.providerIfContext}` }),
  setObject: (s) => {
    sets.push(s.value);
    return { status: 'SUCCESS', value: s.value };
  },
});

describeKafka('interface objects across two query replicas over Kafka', () => {
  it('reach an HTTP provider held by the other replica and a Kafka provider, and record a set once', async () => {
    // given
    execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { cwd: root, stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'ifreg-objects-replicas-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'ifreg.db');
    await startRegistrar(db);
    const replica = async () => {
      const service = await startQuery(loadConfig({ IFREG_HTTP_PORT: '0', IFREG_SQLITE_PATH: db, IFREG_OBJECTS_KAFKA: 'true', KAFKA_BROKERS: brokers.join(','), ...topics, IFREG_LOG_LEVEL: 'silent' }));
      closers.push(() => service.stop());
      return service.url;
    };
    const [a, b] = [await replica(), await replica()];
    const httpSets: unknown[] = [];
    const viaHttp = await registered(`rep-http-${tag}`, 'p-http', dir, 'ctx-http');
    const httpServer = new ObjectServer({ scope: viaHttp.provider.scope, providerId: 'p-http', log, handlers: handlers(httpSets), channel: new WebSocketObjectChannel({ url: b, scope: viaHttp.provider.scope, providerId: 'p-http', log }) });
    await httpServer.start();
    closers.push(() => httpServer.stop());
    const viaKafka = await registered(`rep-kafka-${tag}`, 'p-kafka', dir, 'ctx-kafka');
    const kafkaServer = await viaKafka.provider.serveObjects(new KafkaProviderChannel(kafka, { requestsTopic: topics.IFREG_TOPIC_OBJECT_REQUESTS, scope: viaKafka.provider.scope, log, maxWaitTimeMs: 100 }), handlers([]), log);
    closers.push(() => kafkaServer.stop());
    const path = (scope: string, ifIndex: number, oid: string) => `/v1/scopes/${scope}/interfaces/${ifIndex}/objects/${oid}`;
    const minPosition = Math.max(viaHttp.registration.position, viaKafka.registration.position);
    await call(`${a}/v1/scopes?minPosition=${minPosition}&timeoutMs=10000`);

    // when: a query enters A for the provider held by B
    const crossed = await call(`${a}${path(viaHttp.provider.scope, viaHttp.registration.ifIndex, 'OID_GEN_OPERATIONAL_STATUS')}`);
    // then
    expect(crossed).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'answered for ctx-http', providerId: 'p-http' } });
    expect((await call(`${b}${path(viaHttp.provider.scope, viaHttp.registration.ifIndex, 'OID_GEN_ALIAS')}`)).body.status).toBe('SUCCESS');
    // and a query for the Kafka provider
    expect((await call(`${a}${path(viaKafka.provider.scope, viaKafka.registration.ifIndex, 'OID_GEN_ALIAS')}`)).body).toMatchObject({ status: 'SUCCESS', value: 'answered for ctx-kafka' });

    // when: a set enters A, then its retry once the answer is recorded
    const setPath = `${a}${path(viaHttp.provider.scope, viaHttp.registration.ifIndex, 'OID_GEN_ALIAS')}`;
    const put = () => call(setPath, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'across replicas', requestId: `x-${tag}` }) });
    expect(await put()).toMatchObject({ status: 200, body: { status: 'SUCCESS', value: 'across replicas' } });
    const history = await waitForValue(
      () => call(`${a}/v1/scopes/${viaHttp.provider.scope}/luids/${luidName(viaHttp.registration.luid)}/history`),
      (h) => (h.body.items ?? []).some((i: any) => i.type === 'InterfaceObjectSetAnswered'),
      15_000,
      'the set recorded by the registrar and seen by A',
    );
    expect((await put()).body).toMatchObject({ status: 'SUCCESS', repeated: true });
    // then: applied once, recorded once, with who asked
    expect(httpSets).toEqual(['across replicas']);
    const sets = history.body.items.filter((i: any) => i.type.startsWith('InterfaceObjectSet'));
    expect(sets.map((i: any) => i.type)).toEqual(['InterfaceObjectSetRequested', 'InterfaceObjectSetAnswered']);
    expect(sets[1].event).toMatchObject({ caller: 'address:127.0.0.1', status: 'SUCCESS', requestId: `x-${tag}` });
  }, 120_000);
});
