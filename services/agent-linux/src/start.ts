import { buildOpsServer } from '@ifreg/http-api';
import { createMetricsRegistry, metric, type Logger } from '@ifreg/platform';
import { LinuxObjects, type LinuxAgent, type SyncReport } from '@ifreg/linux-agent';
import { createKafka, ensureTopics, type KafkaSettings } from '@ifreg/messaging';
import type { AgentLinuxConfig } from './config';
import { createContainer } from './container';
import { TOKENS } from './tokens';

export interface RunningAgentLinux {
  readonly scope: string;
  readonly agent: LinuxAgent;
  /** What the first sync did. */
  readonly initial: SyncReport;
  stop(): Promise<void>;
}

/**
 * Starts the Linux agent: the registry client (for Kafka: outcomes listened to before the
 * first send), then a first full sync of this host's interfaces, then polling. Stops in the
 * reverse order: no more looks (the current one finishes), then the client disconnects.
 */
export async function startAgentLinux(config: AgentLinuxConfig, options: { handleSignals?: boolean } = {}): Promise<RunningAgentLinux> {
  const container = await createContainer(config);
  const log = container.get(TOKENS.Logger);
  const lifecycle = container.get(TOKENS.Lifecycle);
  if (options.handleSignals) lifecycle.handleSignals();

  const client = container.get(TOKENS.RegistryClient);
  const agent = container.get(TOKENS.Agent);
  const provider = container.get(TOKENS.Provider);
  let initial;
  try {
    if (config.transport.kind === 'kafka') await ensureObjectTopics(config.transport.kafka, log);
    lifecycle.onStop('registry client', () => client.close());
    await client.connect();
    initial = await agent.start();
    lifecycle.onStop('polling', () => agent.stop());
    const objects = new LinuxObjects({
      sysRoot: config.host.sysRoot,
      allowSets: config.objects.allowSets,
      setsDisabledReason: 'sets are off on this agent; IFREG_AGENT_OBJECT_SETS=true enables them',
      ipCommand: config.objects.ipCommand,
    });
    const server = await provider.serveObjects(container.get(TOKENS.ObjectChannel), objects, log.child({ component: 'objects' }));
    lifecycle.onStop('objects', () => server.stop());
    const sampler = setInterval(() => void objects.sample().catch(() => undefined), config.pollMs);
    lifecycle.onStop('objects sampler', () => clearInterval(sampler));
  } catch (error) {
    await lifecycle.stop(); // what did start is closed again
    throw error;
  }
  const metrics = createMetricsRegistry('agent-linux');
  metric.gauge(metrics, 'ifreg_agent_interfaces', 'Interfaces this agent has registered', [], function collect() {
    this.set(agent.interfaces.size);
  });
  const ops = await buildOpsServer(log, { metrics, isReady: () => true, status: () => ({ scope: config.scope, interfaces: agent.interfaces.size }) });
  await ops.listen({ port: config.http.port, host: config.http.host });
  lifecycle.onStop('http', () => ops.close());
  const transport = config.transport.kind === 'kafka' ? { kind: 'kafka', brokers: config.transport.kafka.brokers } : { kind: 'http', url: config.transport.url };
  log.info({ scope: config.scope, transport, objectSets: config.objects.allowSets, stateFile: config.stateFile, sysRoot: config.host.sysRoot, pollMs: config.pollMs, interfaces: agent.interfaces.size, ...initial }, 'agent-linux started');
  return { scope: config.scope, agent, initial, stop: () => lifecycle.stop() };
}

/** The object topics, if no query service made them yet: the agent reads one partition of them. */
async function ensureObjectTopics(settings: KafkaSettings, log: Logger): Promise<void> {
  const admin = createKafka(settings, log).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [settings.topics.outcomes, settings.topics.objectRequests, settings.topics.objectReplies], settings.partitions);
  } finally {
    await admin.disconnect();
  }
}
