import { CORE_TOKENS } from '@ifreg/composition';
import type { ServiceIdentifier } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { ProviderObjectChannel, Provider, RegistryClient } from '@ifreg/agent-sdk';
import type { KafkaPartitionReader } from '@ifreg/messaging';
import type { LinuxAgent } from '@ifreg/linux-agent';
import type { AgentLinuxConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.agent-linux.${name}`);

export const TOKENS = {
  ...CORE_TOKENS,
  Config: token<AgentLinuxConfig>('Config'),
  Kafka: token<Kafka>('Kafka'),
  Reader: token<KafkaPartitionReader>('Reader'),
  RegistryClient: token<RegistryClient>('RegistryClient'),
  Provider: token<Provider>('Provider'),
  Agent: token<LinuxAgent>('Agent'),
  ObjectChannel: token<ProviderObjectChannel>('ObjectChannel'),
} as const;
