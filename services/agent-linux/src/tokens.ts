import type { ServiceIdentifier } from 'inversify';
import type { Kafka } from 'kafkajs';
import type { Provider, RegistryClient } from '@ifreg/agent-sdk';
import type { Lifecycle, Logger } from '@ifreg/platform';
import type { LinuxAgent } from '@ifreg/agent-sdk';
import type { AgentLinuxConfig } from './config';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`ifreg.agent-linux.${name}`);

export const TOKENS = {
  Config: token<AgentLinuxConfig>('Config'),
  Logger: token<Logger>('Logger'),
  Lifecycle: token<Lifecycle>('Lifecycle'),
  Kafka: token<Kafka>('Kafka'),
  RegistryClient: token<RegistryClient>('RegistryClient'),
  Provider: token<Provider>('Provider'),
  Agent: token<LinuxAgent>('Agent'),
} as const;
