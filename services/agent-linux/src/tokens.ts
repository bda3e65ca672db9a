import type { ServiceIdentifier } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { ProviderObjectChannel, Provider, RegistryClient } from '@ifreg/agent-sdk';
import type { KafkaPartitionReader } from '@ifreg/messaging';
import type { Lifecycle, Logger } from '@ifreg/platform';
import type { LinuxAgent } from '@ifreg/agent-sdk';
import type { AgentLinuxConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.agent-linux.${name}`);

export const TOKENS = {
  Config: token<AgentLinuxConfig>('Config'),
  Logger: token<Logger>('Logger'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  Kafka: token<Kafka>('Kafka'),
  Reader: token<KafkaPartitionReader>('Reader'),
  RegistryClient: token<RegistryClient>('RegistryClient'),
  Provider: token<Provider>('Provider'),
  Agent: token<LinuxAgent>('Agent'),
  ObjectChannel: token<ProviderObjectChannel>('ObjectChannel'),
} as const;
