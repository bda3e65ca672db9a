import { Container, ContainerModule } from 'inversify';
import { coreModule } from '@ifreg/composition';
import { HttpRegistryClient, TransportRegistryClient, Provider, WebSocketObjectChannel } from '@ifreg/agent-sdk';
import { LinuxAgent } from '@ifreg/linux-agent';
import { KafkaAgentProducer, KafkaOutcomeSource, KafkaPartitionReader, KafkaProviderChannel, createKafka, type KafkaSettings } from '@ifreg/messaging';

import type { AgentLinuxConfig } from './config';
import { TOKENS } from './tokens';

const httpModule = (url: string, token: string | undefined) =>
  new ContainerModule(({ bind }) => {
    // Object requests come down a WebSocket the agent holds open to the service.
    bind(TOKENS.ObjectChannel)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        return new WebSocketObjectChannel({ url, scope: config.scope, providerId: config.providerId, log: ctx.get(TOKENS.Logger), ...(token === undefined ? {} : { token }) });
      })
      .inSingletonScope();
    bind(TOKENS.RegistryClient)
      .toDynamicValue((ctx) => new HttpRegistryClient({ url, ...(token === undefined ? {} : { token }), timeoutMs: ctx.get(TOKENS.Config).timeoutMs }))
      .inSingletonScope();
  });

const kafkaModule = (settings: KafkaSettings) =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.Kafka).toDynamicValue((ctx) => createKafka(settings, ctx.get(TOKENS.Logger))).inSingletonScope();
    // One consumer for everything addressed to this scope: the partition of its outcomes and
    // of its object requests, never the whole fleet's traffic.
    bind(TOKENS.Reader)
      .toDynamicValue((ctx) => {
        const config = ctx.get(TOKENS.Config);
        return new KafkaPartitionReader(ctx.get(TOKENS.Kafka), {
          topics: [settings.topics.outcomes, settings.topics.objectRequests],
          keys: [config.scope],
          log: ctx.get(TOKENS.Logger),
          groupIdPrefix: `ifreg-agent-linux-${config.scope}`,
          maxWaitTimeMs: 500,
        });
      })
      .inSingletonScope();
    bind(TOKENS.RegistryClient)
      .toDynamicValue((ctx) => {
        const kafka = ctx.get(TOKENS.Kafka);
        const config = ctx.get(TOKENS.Config);
        return new TransportRegistryClient({
          producer: new KafkaAgentProducer(kafka, { topic: settings.topics.agentMessages, defaultSource: config.providerId }),
          outcomes: new KafkaOutcomeSource(kafka, { topic: settings.topics.outcomes, log: ctx.get(TOKENS.Logger), reader: ctx.get(TOKENS.Reader) }),
          timeoutMs: config.timeoutMs,
        });
      })
      .inSingletonScope();
    bind(TOKENS.ObjectChannel)
      .toDynamicValue((ctx) => new KafkaProviderChannel(ctx.get(TOKENS.Kafka), { requestsTopic: settings.topics.objectRequests, scope: ctx.get(TOKENS.Config).scope, log: ctx.get(TOKENS.Logger), reader: ctx.get(TOKENS.Reader) }))
      .inSingletonScope();
  });

const agentModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Provider)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new Provider({
        providerId: config.providerId,
        scope: config.scope,
        client: ctx.get(TOKENS.RegistryClient),
        stateFile: config.stateFile,
        timeoutMs: config.timeoutMs,
      });
    })
    .inSingletonScope();
  bind(TOKENS.Agent)
    .toDynamicValue((ctx) => {
      const config = ctx.get(TOKENS.Config);
      return new LinuxAgent({ provider: ctx.get(TOKENS.Provider), log: ctx.get(TOKENS.Logger), pollMs: config.pollMs, ...config.host });
    })
    .inSingletonScope();
});

export async function createContainer(config: AgentLinuxConfig): Promise<Container> {
  const container = new Container();
  const transport = config.transport.kind === 'kafka' ? kafkaModule(config.transport.kafka) : httpModule(config.transport.url, config.transport.token);
  await container.load(coreModule({ configToken: TOKENS.Config, config, name: 'ifreg-agent-linux' }), transport, agentModule);
  return container;
}
