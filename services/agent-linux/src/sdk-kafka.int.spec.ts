import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { TransportRegistryClient, Provider, RegistrationError } from '@ifreg/agent-sdk';
import type { RegistryEvent } from '@ifreg/domain';
import { KafkaAgentProducer, KafkaOutcomeSource, createKafka, kafkaSettings } from '@ifreg/messaging';
import { createLogger } from '@ifreg/platform';
import { loadConfig } from './config';
import { startAgentLinux } from './start';
import { Cleanup, FakeSysfs, ServiceProcess, buildWorkspace, root, tempDir, waitFor } from './testing/harness';

// The SDK's TransportRegistryClient, and the agent with IFREG_AGENT_TRANSPORT=kafka, against the
// real broker (tools/jest/global-setup.js) and the built registrar (`services/registrar/dist/main.js`).
// Skipped, visibly, without a broker.

const brokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean) ?? [];
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const log = createLogger({ name: 'agent-linux-kafka-int', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanup = new Cleanup();
const SCOPE = 'sdk-kafka';

let kafka: Kafka;
let env: Record<string, string>;
let dir: string;
/** Every outcome the registrar published, read from the beginning. */
const outcomes: RegistryEvent[] = [];

beforeAll(async () => {
  if (brokers.length === 0) return;
  buildWorkspace();
  dir = tempDir(cleanup);
  const id = randomUUID();
  env = {
    KAFKA_BROKERS: brokers.join(','),
    IFREG_TOPIC_AGENT_MESSAGES: `ifreg-test-agent-messages-${id}`,
    IFREG_TOPIC_OUTCOMES: `ifreg-test-outcomes-${id}`,
    IFREG_TOPIC_DEAD_LETTERS: `ifreg-test-dead-letters-${id}`,
    IFREG_KAFKA_PARTITIONS: '2',
  };
  const registrar = cleanup.add(
    new ServiceProcess('registrar', join(root, 'services/registrar/dist/main.js'), { env: { ...env, IFREG_KAFKA_GROUP: `ifreg-test-registrar-${id}`, IFREG_SQLITE_PATH: join(dir, 'events.db'), IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info' } }),
    (p) => p.stop().then(() => undefined),
  );
  await registrar.waitForLog('registrar started', 30_000);
  kafka = createKafka(kafkaSettings({ brokers, clientId: 'ifreg-agent-linux-kafka-int' }), log);
  const all = cleanup.add(new KafkaOutcomeSource(kafka, { topic: env['IFREG_TOPIC_OUTCOMES']!, log, fromBeginning: true, maxWaitTimeMs: 100 }), (s) => s.stop());
  all.onOutcome((o) => outcomes.push(o.event));
  await all.start();
}, 60_000);
afterAll(() => cleanup.run());

async function kafkaClient(): Promise<TransportRegistryClient> {
  const client = cleanup.add(
    new TransportRegistryClient({
      producer: new KafkaAgentProducer(kafka, { topic: env['IFREG_TOPIC_AGENT_MESSAGES']! }),
      outcomes: new KafkaOutcomeSource(kafka, { topic: env['IFREG_TOPIC_OUTCOMES']!, log, maxWaitTimeMs: 100 }),
      timeoutMs: 15_000,
    }),
    (c) => c.close(),
  );
  await client.connect();
  return client;
}

const allocations = (scope: string): number => outcomes.filter((e) => e.type === 'NetLuidIndexAllocated' && e.scope === scope).length;

describeKafka('a provider over Kafka', () => {
  it('allocates a LUID, announces a boot, registers and deregisters, each answered by the registrar', async () => {
    // given
    const p = new Provider({ providerId: 'sdk-test', scope: SCOPE, client: await kafkaClient(), stateFile: join(dir, 'kafka.json') });
    // when
    const epoch = await p.bootEpoch('boot-k1');
    const luid = await p.allocateLuid(6, 'eth0');
    const registered = await p.detect({ key: 'eth0', info: { friendlyName: 'eth0' } });
    const again = await p.detect({ key: 'eth0', info: { friendlyName: 'eth0' } });
    const refused = p.detect({ key: 'eth0', info: { friendlyName: 'eth0-renamed' } });
    // then
    expect(epoch.epoch).toBe(1);
    expect(luid).toEqual({ ifType: 6, netLuidIndex: 1 });
    expect(registered).toMatchObject({ ifIndex: 1, luid });
    expect(again.ifIndex).toBe(1);
    await expect(refused).rejects.toBeInstanceOf(RegistrationError);
    await expect(refused).rejects.toMatchObject({ status: 'INTERFACE_EXISTS' });
    await expect(p.remove({ key: 'eth0' })).resolves.toMatchObject({ ifIndex: 1 });
  }, 60_000);

  it('restarted on the same state file, gets the same LUID without a NetLuidIndexRequested', async () => {
    const stateFile = join(dir, 'kafka-restart.json');
    const client = await kafkaClient();
    const first = await new Provider({ providerId: 'sdk-test', scope: `${SCOPE}-r`, client, stateFile }).allocateLuid(131, 'tun0');
    await waitFor(() => allocations(`${SCOPE}-r`), (n) => n === 1, 10_000, 'the allocation outcome');

    const again = await new Provider({ providerId: 'sdk-test', scope: `${SCOPE}-r`, client, stateFile }).allocateLuid(131, 'tun0');

    expect(again).toEqual(first);
    expect(allocations(`${SCOPE}-r`)).toBe(1);
  }, 60_000);
});

describeKafka('agent-linux with IFREG_AGENT_TRANSPORT=kafka', () => {
  it('registers the host’s interfaces through the registrar, follows a new one, and keeps its LUIDs across a restart', async () => {
    // given
    const scope = 'agent-kafka';
    const sysfs = FakeSysfs.host(join(dir, 'sys'));
    const bootIdPath = join(dir, 'boot_id');
    writeFileSync(bootIdPath, 'boot-a\n');
    const config = loadConfig({
      ...env,
      IFREG_HTTP_PORT: '0',
      IFREG_AGENT_TRANSPORT: 'kafka',
      IFREG_AGENT_SCOPE: scope,
      IFREG_AGENT_STATE: join(dir, 'agent-kafka.json'),
      IFREG_SYSFS: sysfs.classNet,
      IFREG_BOOT_ID_PATH: bootIdPath,
      IFREG_AGENT_POLL_MS: '100',
      IFREG_LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
    });
    // when
    const first = await startAgentLinux(config);
    // then
    expect(first.initial).toEqual({ registered: 3, removed: 0, failed: 0 });
    expect([...first.agent.interfaces.values()].map((i) => i.ifIndex).sort()).toEqual([1, 2, 3]);
    // when: an interface appears
    sysfs.add('veth0', { type: 1, flags: '0x1002', ifindex: 4, address: '0a:00:00:00:00:04' });
    await waitFor(() => first.agent.interfaces.get('veth0')?.ifIndex, (ifIndex) => ifIndex === 4, 10_000, 'veth0 registered');
    const luids = new Map([...first.agent.interfaces].map(([name, i]) => [name, i.luid]));
    await first.stop();
    // when: restarted
    const second = cleanup.add(await startAgentLinux(config), (a) => a.stop());
    // then: same LUIDs, re-detected with the same indexes, no new allocation
    expect(new Map([...second.agent.interfaces].map(([name, i]) => [name, i.luid]))).toEqual(luids);
    expect(second.agent.interfaces.get('veth0')?.ifIndex).toBe(4);
    await waitFor(() => allocations(scope), (n) => n === 4, 10_000, 'the allocation outcomes');
    expect(outcomes.filter((e) => e.scope === scope && e.type === 'RegistrationFailed')).toEqual([]);
  }, 90_000);
});
