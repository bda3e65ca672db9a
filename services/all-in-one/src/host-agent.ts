import { dirname, join } from 'node:path';
import { BrokerObjectChannel, Provider, TransportRegistryClient } from '@ifreg/agent-sdk';
import { LinuxAgent, LinuxObjects, type SyncReport } from '@ifreg/linux-agent';
import type { InProcessTransport, ObjectBroker } from '@ifreg/messaging';
import type { Lifecycle, Logger } from '@ifreg/platform';
import type { AllInOneConfig } from './config';

/**
 * This host as a provider inside the all-in-one: the Linux agent's code (NET_LUIDs from the
 * registry, kept in a state file beside the store; BootEpoch when the boot id changed;
 * /sys/class/net followed by polling) over the in-process transport instead of Kafka/HTTP.
 * It answers OID queries about its interfaces; sets only when IFREG_HOST_OBJECT_SETS is on.
 */
export async function startHostAgent(config: AllInOneConfig, transport: InProcessTransport, broker: ObjectBroker, log: Logger, lifecycle: Lifecycle): Promise<SyncReport> {
  const client = new TransportRegistryClient({
    producer: { send: (messages) => transport.send(messages), connect: async () => undefined, disconnect: async () => undefined },
    outcomes: { onOutcome: (listener) => transport.onOutcome(listener), start: async () => undefined, stop: async () => undefined },
    timeoutMs: 10_000,
  });
  const stateDir = config.store.kind === 'sqlite' ? dirname(config.store.sqlitePath) : 'data';
  const provider = new Provider({
    providerId: 'all-in-one/host',
    scope: config.host.scope,
    client,
    stateFile: config.host.stateFile ?? join(stateDir, `host-agent-${config.host.scope}.json`),
  });
  const agent = new LinuxAgent({
    provider,
    log: log.child({ component: 'host-agent' }),
    sysRoot: config.host.sysRoot,
    bootIdPath: '/proc/sys/kernel/random/boot_id',
    machineIdPath: '/etc/machine-id',
    pollMs: config.host.pollMs,
  });
  await client.connect();
  lifecycle.onStop('host agent client', () => client.close());
  const objects = new LinuxObjects({
    sysRoot: config.host.sysRoot,
    allowSets: config.host.objectSets,
    setsDisabledReason: "sets on this host's own interfaces are off; IFREG_HOST_OBJECT_SETS=true enables them",
  });
  const server = await provider.serveObjects(new BrokerObjectChannel(broker, config.host.scope, provider.providerId), objects, log.child({ component: 'host-objects' }));
  lifecycle.onStop('host objects', () => server.stop());
  const sampler = setInterval(() => void objects.sample().catch(() => undefined), config.host.pollMs);
  lifecycle.onStop('host objects sampler', () => clearInterval(sampler));
  const report = await agent.start();
  lifecycle.onStop('host agent', () => agent.stop());
  return report;
}
